package dev.rollguard.flag.domain;

import java.util.List;

/**
 * One targeting rule of a flag, as stored.
 *
 * @param id unique within the flag, named in reasons and errors
 * @param segments keys of the segments a subject must all be in
 * @param constraints constraints a subject must all match
 * @param variant the variant every matching subject is served, or null: the rule rolls out on its own share
 * @param basisPoints with no variant, the share of matching subjects served the treatment, in hundredths of a percent
 */
public record Rule(
        String id,
        String description,
        List<String> segments,
        List<Condition> constraints,
        String variant,
        int basisPoints) {

    public Rule {
        segments = segments == null ? List.of() : List.copyOf(segments);
        constraints = constraints == null ? List.of() : List.copyOf(constraints);
    }
}
