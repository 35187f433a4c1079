package dev.rollguard.console.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the console repeats of a service's answer that is not a Rollguard error. */
class ApiResultTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anHtmlPageIsSaidByItsStatusOnly() {
        String page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
                + "<body><h1>Bad Gateway</h1><p>nginx</p></body></html>";

        assertThat(answer(502, page).message()).isEqualTo("HTTP 502");
        assertThat(answer(503, "  <p>Service Unavailable</p>").message()).isEqualTo("HTTP 503");
        assertThat(answer(500, "Error: <script>alert(1)</script>").message()).isEqualTo("HTTP 500");
    }

    @Test
    void plainTextIsSaidOnOneLineAndCutAfter120Characters() {
        assertThat(answer(502, "upstream connect error\r\nor disconnect\tbefore headers")
                        .message())
                .isEqualTo("HTTP 502: upstream connect error or disconnect before headers");
        // A bidirectional override and a zero-width space would make the text read otherwise than it is.
        assertThat(answer(500, "abc\u202Edef\u200Bghi\u0000").message()).isEqualTo("HTTP 500: abc def ghi");

        String said = answer(500, "a".repeat(119) + "😀" + "TAIL").message();
        assertThat(said).isEqualTo("HTTP 500: " + "a".repeat(119) + "😀…");
        assertThat(answer(500, "b".repeat(120)).message()).isEqualTo("HTTP 500: " + "b".repeat(120));
    }

    @Test
    void anUnexpectedAnswerHasACodeOfItsOwnNotTheStatusOfAService() {
        ApiResult unexpected = ApiResult.unexpected("flag-service", "HTTP 200 of type text/plain, not JSON");

        assertThat(unexpected.code()).isEqualTo("UNEXPECTED_ANSWER");
        // A service's own 502 without a code keeps the status as its code.
        assertThat(answer(502, "bad gateway").code()).isEqualTo("HTTP_502");
    }

    @Test
    void noTextIsSaidByItsStatus() {
        assertThat(answer(500, "").message()).isEqualTo("HTTP 500");
        assertThat(answer(500, " \n ").message()).isEqualTo("HTTP 500");
        assertThat(new ApiResult(500, MissingNode.getInstance(), null, null).message())
                .isEqualTo("HTTP 500");
    }

    @Test
    void aRollguardErrorIsSaidByItsMessageAndTheConsolesOwnAccountWhole() throws Exception {
        String error = "{\"code\": \"INTERNAL\", \"message\": \"the store is down\"}";
        assertThat(new ApiResult(500, JSON.readTree(error), error, null).message())
                .isEqualTo("the store is down");
        // A message may quote what a client sent: a bidirectional override or a line break cannot rearrange the page.
        String quoting =
                "{\"code\": \"VALIDATION_FAILED\", \"message\": \"key 'ab\\u202Ecd\\nef' is not valid\\u0000\"}";
        assertThat(new ApiResult(400, JSON.readTree(quoting), quoting, null).message())
                .isEqualTo("key 'ab cd ef' is not valid");

        // So may a violation's field and message, and a targeting problem's path and message.
        String refused =
                """
                {"code": "VALIDATION_FAILED", "message": "invalid",
                 "violations": [{"field": "name\\u202E", "message": "'ab\\u202Ecd\\r\\nef' is taken\\u2066"}],
                 "problems": [{"path": "rules[0].id", "message": "id 'x\\u202Dy\\u200Bz' repeats"}]}
                """;
        ApiResult refusal = new ApiResult(400, JSON.readTree(refused), refused, null);
        assertThat(refusal.violations()).containsExactly(Map.entry("name", "'ab cd ef' is taken"));
        assertThat(refusal.problems())
                .containsExactly(
                        Map.entry("rules[0].id", "id 'x y z' repeats"), Map.entry("name", "'ab cd ef' is taken"));

        String why = "x".repeat(200);
        assertThat(ApiResult.unavailable("flag-service", "no answer within 5 s").message())
                .isEqualTo("flag-service is unavailable: no answer within 5 s");
        assertThat(ApiResult.notSent("flag-service", why).message())
                .isEqualTo("the console could not send the request to flag-service (" + why + "); nothing was sent");
    }

    @Test
    void aPageIsOneByItsTypeOrByHowItBegins() {
        assertThat(typed("text/html; charset=utf-8", "Sign in").page()).isTrue();
        assertThat(typed("application/xhtml+xml", "Sign in").page()).isTrue();
        assertThat(typed("Text/HTML", "").page()).isTrue();
        assertThat(typed(null, "<!DOCTYPE html><html></html>").page()).isTrue();
        assertThat(typed("application/json", " \r\n\t<html>").page()).isTrue();
        assertThat(typed("text/plain", "\uFEFF<?xml version=\"1.0\"?><html/>").page())
                .isTrue();
        assertThat(typed(null, "<!-- a proxy -->").page()).isTrue();
        // A service's text that quotes markup further in (an error code a client chose) is no page.
        assertThat(typed("text/plain;charset=UTF-8", "║ orders <timeout> ║\n║ <b>x</b> <!--y--> ║")
                        .page())
                .isFalse();
        assertThat(typed(null, "orders <timeout>").page()).isFalse();
        assertThat(typed("text/plain", "").page()).isFalse();
        assertThat(typed("text/htmlx", "report").page()).isFalse();
        assertThat(new ApiResult(200, MissingNode.getInstance(), null, null).page())
                .isFalse();
    }

    @Test
    void aPageWithoutTagsIsSaidByItsStatusOnly() {
        assertThat(typed("text/html", "Please sign in").message()).isEqualTo("HTTP 200");
    }

    private static ApiResult typed(String contentType, String text) {
        return new ApiResult(200, MissingNode.getInstance(), text, null, contentType);
    }

    private static ApiResult answer(int status, String text) {
        return new ApiResult(status, MissingNode.getInstance(), text, null);
    }
}
