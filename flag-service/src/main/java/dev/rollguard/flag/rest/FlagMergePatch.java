package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.api.FlagResponse;
import dev.rollguard.flag.api.TextRules;
import dev.rollguard.flag.service.FlagErrors;
import dev.rollguard.http.RequestFields;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Validator;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/** A PATCH body of a flag: a JSON merge patch (RFC 7396) of its writable fields, the fields of a create. */
@ApplicationScoped
public class FlagMergePatch {

    private static final List<String> PATCHABLE = RequestFields.fields(FlagRequest.class);

    /** Fields of a flag that only their own calls change (kill, stage, pause, archive) or that the service sets. */
    private static final Set<String> READ_ONLY = Arrays.stream(FlagResponse.class.getRecordComponents())
            .map(RecordComponent::getName)
            .filter(name -> !PATCHABLE.contains(name))
            .collect(Collectors.toUnmodifiableSet());

    private final ObjectMapper json;
    private final Validator validator;

    public FlagMergePatch(ObjectMapper json, Validator validator) {
        this.json = json;
        this.validator = validator;
    }

    /**
     * The edit that {@code patch} makes of a flag's fields; refused at once (400) when it is no object, names a field
     * that PATCH cannot change or one a flag does not have. The edit refuses a result that would not be a valid create
     * (400), and so a nested field its object does not have ({@link StrictRequestFields}).
     */
    public UnaryOperator<FlagRequest> edit(JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw FlagErrors.invalid("body", "must be a JSON object (a merge patch of the flag)");
        }
        for (Iterator<String> names = patch.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (READ_ONLY.contains(name)) {
                throw FlagErrors.invalid(
                        name, "cannot be changed by PATCH (kill, stage, pause and archive have their own calls)");
            }
            if (!PATCHABLE.contains(name)) {
                throw FlagErrors.invalid(TextRules.visible(name), RequestFields.unknownField(PATCHABLE));
            }
        }
        return current -> merge(current, patch);
    }

    private FlagRequest merge(FlagRequest current, JsonNode patch) {
        ObjectNode document = json.valueToTree(current);
        mergePatch(document, patch);
        FlagRequest request;
        try {
            request = json.treeToValue(document, FlagRequest.class);
        } catch (JsonProcessingException e) {
            // ValidationMappers says which field has the wrong JSON type, as for a POST body.
            throw new UncheckedIOException(e);
        }
        Set<ConstraintViolation<FlagRequest>> violations = validator.validate(request);
        if (!violations.isEmpty()) {
            throw new ConstraintViolationException(violations);
        }
        return request;
    }

    /** RFC 7396: objects merge member by member, null removes, anything else replaces. */
    static void mergePatch(ObjectNode target, JsonNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                target.remove(field.getKey());
            } else if (value.isObject()
                    && target.get(field.getKey()) instanceof ObjectNode nested
                    && !"variants".equals(field.getKey())) {
                mergePatch(nested, value);
            } else {
                target.set(field.getKey(), value);
            }
        }
    }
}
