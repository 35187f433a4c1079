package dev.rollguard.alert.api;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.ElementType.TYPE_USE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/**
 * Text that PostgreSQL can store and a reader can trust: no control character (U+0000-U+001F, U+007F-U+009F) and no
 * unpaired surrogate. NUL above all: PostgreSQL refuses it in text, so a rule or webhook carrying one could not be
 * stored, and names and labels end up in alerts that are written in every evaluation batch. {@link #freeText()}
 * fields (annotations such as a description) may keep TAB and LF. A violation is answered 400
 * {@code INVALID_CHARACTER} naming the field ({@link ErrorMappers}); the same check guards path and query parameters
 * ({@link ParameterTextFilter}).
 */
@Documented
@Constraint(validatedBy = CleanText.Check.class)
@Target({FIELD, PARAMETER, TYPE_USE})
@Retention(RUNTIME)
public @interface CleanText {

    /** Whether TAB and LF are allowed (multi-line free text). */
    boolean freeText() default false;

    String message() default "";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    /** The check itself, for Bean Validation and for callers that hold a string. */
    class Check implements ConstraintValidator<CleanText, String> {

        private boolean freeText;

        @Override
        public void initialize(CleanText annotation) {
            this.freeText = annotation.freeText();
        }

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            int index = value == null ? -1 : firstRefused(value, freeText);
            if (index < 0) {
                return true;
            }
            context.disableDefaultConstraintViolation();
            context.buildConstraintViolationWithTemplate(describe(value, index, freeText))
                    .addConstraintViolation();
            return false;
        }

        /** Index of the first refused character, or -1 when the text is clean. */
        public static int firstRefused(String text, boolean freeText) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isISOControl(c)) {
                    if (freeText && (c == '\t' || c == '\n')) {
                        continue;
                    }
                    return i;
                }
                if (Character.isHighSurrogate(c)
                        && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    return i;
                }
            }
            return -1;
        }

        /** Why the text is refused, without repeating it (it may hold anything). */
        public static String describe(String text, int index, boolean freeText) {
            return "contains the character U+%04X at position %d: control characters%s are not accepted"
                    .formatted((int) text.charAt(index), index, freeText ? " other than TAB and LF" : "");
        }
    }
}
