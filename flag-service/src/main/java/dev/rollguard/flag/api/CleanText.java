package dev.rollguard.flag.api;

import static java.lang.annotation.ElementType.ANNOTATION_TYPE;
import static java.lang.annotation.ElementType.CONSTRUCTOR;
import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.ElementType.TYPE_USE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/**
 * Text a client sends that the service stores, logs or shows again: no control characters and no unpaired
 * surrogates ({@link TextRules}). A violation is answered 400 {@code INVALID_CHARACTER}. On a {@link JsonNode} it
 * checks every string and member name inside.
 */
@Documented
@Constraint(validatedBy = {CleanText.ForString.class, CleanText.ForJson.class})
@Target({METHOD, FIELD, ANNOTATION_TYPE, CONSTRUCTOR, PARAMETER, TYPE_USE})
@Retention(RUNTIME)
public @interface CleanText {

    /** Whether TAB, LF and CR are allowed: free text such as descriptions, reasons and variant values. */
    boolean multiline() default false;

    String message() default "must not contain control characters";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    /** Validates a string. */
    class ForString implements ConstraintValidator<CleanText, String> {
        private boolean multiline;

        @Override
        public void initialize(CleanText annotation) {
            multiline = annotation.multiline();
        }

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return TextRules.report(TextRules.problem(value, multiline), context);
        }
    }

    /** Validates every string and member name of a JSON value. */
    class ForJson implements ConstraintValidator<CleanText, JsonNode> {
        private boolean multiline;

        @Override
        public void initialize(CleanText annotation) {
            multiline = annotation.multiline();
        }

        @Override
        public boolean isValid(JsonNode value, ConstraintValidatorContext context) {
            return TextRules.report(TextRules.problem(value, multiline), context);
        }
    }
}
