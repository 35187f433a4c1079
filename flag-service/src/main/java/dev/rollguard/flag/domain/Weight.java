package dev.rollguard.flag.domain;

/** One variant's share of a weighted split, in hundredths of a percent of the treated subjects. */
public record Weight(String variant, int basisPoints) {}
