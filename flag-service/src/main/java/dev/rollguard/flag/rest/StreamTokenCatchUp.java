package dev.rollguard.flag.rest;

import jakarta.ws.rs.NameBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds {@link AuthFilter#catchUpForStreamToken} to a resource method that takes a stream token ({@link
 * Access#streamToken()}): its stream tokens of a secret this instance has not loaded yet wait for one reload of the
 * token table before they are refused. Only there: that filter is asynchronous, and every other request skips it.
 */
@NameBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface StreamTokenCatchUp {}
