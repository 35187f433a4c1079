package dev.rollguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestFieldsTest {

    record StageRequest(String name, double percentage) {}

    record PlanRequest(String owner, List<StageRequest> stages) {}

    record StoredStage(String name, double percentage) {}

    /** As a service's mapper is: Quarkus leaves unknown fields to be dropped. */
    private final ObjectMapper mapper = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addHandler(RequestFields.refusingUnknown(
                    type -> RequestFields.isRequest(type, RequestFieldsTest.class.getPackageName())));

    @Test
    void aRequestNamingAFieldItDoesNotDeclareFailsAsItIsRead() {
        assertThatThrownBy(() -> mapper.readValue(
                        "{\"owner\": \"a\", \"stages\": [{\"name\": \"10%\", \"percent\": 10}]}", PlanRequest.class))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .satisfies(e -> {
                    UnrecognizedPropertyException unknown = (UnrecognizedPropertyException) e;
                    assertThat(unknown.getPropertyName()).isEqualTo("percent");
                    assertThat(RequestFields.unknownField(unknown.getKnownPropertyIds()))
                            .isEqualTo("unknown field; known: name, percentage");
                });
    }

    @Test
    void otherTypesAreReadAsBefore() throws Exception {
        StoredStage stored =
                mapper.readValue("{\"name\": \"10%\", \"percentage\": 10, \"later\": 1}", StoredStage.class);

        assertThat(stored).isEqualTo(new StoredStage("10%", 10));
        assertThat(RequestFields.isRequest(StoredStage.class, RequestFieldsTest.class.getPackageName()))
                .as("named *Request only")
                .isFalse();
        assertThat(RequestFields.isRequest(PlanRequest.class, "another.api")).isFalse();
        assertThat(RequestFields.unknownField(List.of())).isEqualTo("unknown field");
    }
}
