package dev.rollguard.http.error;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorMappersTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theBodyLeavesOutWhatItDoesNotHave() throws Exception {
        assertThat(json.writeValueAsString(new ErrorBody("FORBIDDEN", "no")))
                .isEqualTo("{\"code\":\"FORBIDDEN\",\"message\":\"no\"}");
        assertThat(json.writeValueAsString(new ErrorBody(
                        "VALIDATION_FAILED", "name must not be blank", List.of(new ErrorBody.Violation("name", "x")))))
                .isEqualTo("{\"code\":\"VALIDATION_FAILED\",\"message\":\"name must not be blank\","
                        + "\"violations\":[{\"field\":\"name\",\"message\":\"x\"}]}");
        assertThat(json.writeValueAsString(new ErrorBody(
                        "INVALID_TARGETING", "bad", null, List.of(new ErrorBody.Problem("rules[0]", "empty")))))
                .isEqualTo("{\"code\":\"INVALID_TARGETING\",\"message\":\"bad\","
                        + "\"problems\":[{\"path\":\"rules[0]\",\"message\":\"empty\"}]}");
    }

    @Test
    void anApiExceptionIsAnsweredWithItsStatusCodeAndViolations() {
        ErrorMappers mappers = new ErrorMappers(List.of());
        Response response = mappers.api(ApiException.invalid("limit", "too big"));

        assertThat(response.getStatus()).isEqualTo(400);
        assertThat(response.getMediaType()).isEqualTo(MediaType.APPLICATION_JSON_TYPE);
        assertThat(response.getEntity())
                .isEqualTo(new ErrorBody(
                        "VALIDATION_FAILED", "limit: too big", List.of(new ErrorBody.Violation("limit", "too big"))));
        assertThat(mappers.api(ApiException.notFound("rule 7")).getEntity())
                .isEqualTo(new ErrorBody("NOT_FOUND", "rule 7 not found"));
        assertThat(mappers.api(ApiException.conflict("ALREADY_EXISTS", "taken")).getStatus())
                .isEqualTo(409);
    }

    @Test
    void whatTheHttpLayerRefusesGetsAStableCodeNamingTheRequest() {
        ErrorMappers mappers = new ErrorMappers(List.of());

        Response notFound = mappers.web(new NotFoundException(), request("GET", "/api/nothing"));
        Response wrongMethod = mappers.web(new NotAllowedException("GET"), request("DELETE", "/api/flags"));

        assertThat(notFound.getStatus()).isEqualTo(404);
        assertThat(notFound.getEntity()).isEqualTo(new ErrorBody("NOT_FOUND", "nothing is served at GET /api/nothing"));
        assertThat(wrongMethod.getStatus()).isEqualTo(405);
        assertThat(((ErrorBody) wrongMethod.getEntity()).code()).isEqualTo("METHOD_NOT_ALLOWED");
        assertThat(wrongMethod.getAllowedMethods()).containsExactly("GET");
        assertThat(ErrorMappers.forStatus(406, "GET /x").code()).isEqualTo("NOT_ACCEPTABLE");
        assertThat(ErrorMappers.forStatus(415, "POST /x").code()).isEqualTo("UNSUPPORTED_MEDIA_TYPE");
        assertThat(ErrorMappers.forStatus(418, "GET /x").code()).isEqualTo("REQUEST_FAILED");
        assertThat(ErrorMappers.forStatus(502, "GET /x").code()).isEqualTo("INTERNAL");
    }

    @Test
    void aParameterTheHttpLayerCouldNotConvertIs400NotNothingServedHere() {
        ErrorMappers mappers = new ErrorMappers(List.of());

        Response unreadable = mappers.web(
                new NotFoundException(new NumberFormatException("For input string: \"ten\"")),
                request("GET", "/api/alerts"));

        assertThat(unreadable.getStatus()).isEqualTo(400);
        assertThat(unreadable.getEntity())
                .isEqualTo(new ErrorBody(
                        "INVALID_PARAMETER",
                        "a path or query parameter of GET /api/alerts is not of its type (a whole number where one"
                                + " is expected, for instance)"));
    }

    @Test
    void anUnavailableServiceSaysWhenToTryAgain() {
        Response unavailable =
                ErrorMappers.json(503, new ErrorBody("UNAVAILABLE", "the broker did not acknowledge the batch"));
        Response refused = ErrorMappers.json(400, new ErrorBody("VALIDATION_FAILED", "no"));

        assertThat(unavailable.getHeaderString("Retry-After")).isEqualTo("5");
        assertThat(refused.getHeaderString("Retry-After")).isNull();
    }

    @Test
    void aBodyOverTheLimitIs413EvenWhenTheJsonReaderWrappedIt() {
        ErrorMappers mappers = new ErrorMappers(List.of());
        WebApplicationException limit = new WebApplicationException("request bodies are limited to 10 bytes", 413);

        Response wrapped = mappers.unexpected(new UncheckedIOException(new java.io.IOException(limit)));

        assertThat(wrapped.getStatus()).isEqualTo(413);
        assertThat(((ErrorBody) wrapped.getEntity()).code()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void aFailureTheServiceRecognisesGetsItsAnswerAndAnyOtherIsAn500WithoutDetail() {
        KnownFailures database = failure -> DatabaseFailures.unavailable(failure)
                ? new ApiException(503, "UNAVAILABLE", "the database is unavailable")
                : null;
        ErrorMappers mappers = new ErrorMappers(List.of(database));

        Response down = mappers.unexpected(new IllegalStateException(new ConnectException("Connection refused")));
        Response defect = mappers.unexpected(new IllegalStateException("dev.rollguard.Secret broke"));

        assertThat(down.getStatus()).isEqualTo(503);
        assertThat(down.getEntity()).isEqualTo(new ErrorBody("UNAVAILABLE", "the database is unavailable"));
        assertThat(defect.getStatus()).isEqualTo(500);
        assertThat(defect.getEntity()).isEqualTo(new ErrorBody("INTERNAL", "the request failed inside the service"));
    }

    private static ContainerRequestContext request(String method, String path) {
        UriInfo uri = (UriInfo) Proxy.newProxyInstance(
                ErrorMappersTest.class.getClassLoader(), new Class<?>[] {UriInfo.class}, (proxy, m, args) -> {
                    if (m.getName().equals("getPath")) {
                        return path;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return (ContainerRequestContext) Proxy.newProxyInstance(
                ErrorMappersTest.class.getClassLoader(),
                new Class<?>[] {ContainerRequestContext.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getUriInfo" -> uri;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
