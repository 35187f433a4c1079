package dev.rollguard.flag.rest;

import dev.rollguard.flag.domain.TokenKind;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The token kinds a resource method accepts; {@link AuthFilter} answers 401 or 403 to the others. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Access {

    TokenKind[] value();

    /** Whether each call counts against the token's evaluation rate (429 beyond it); such calls get no {@link CallerHolder}. */
    boolean rateLimited() default false;

    /**
     * Whether a stream token in the {@code token} query parameter is accepted when no token header is sent (the
     * change stream, for browsers' EventSource); see {@link dev.rollguard.flag.service.StreamTokens}.
     */
    boolean streamToken() default false;
}
