package dev.rollguard.console.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

class ActorNameTest {

    @Test
    void printableAsciiIsSentAsItIs() {
        assertThat(ActorName.encode("Ana O'Brien-Lima ~ #2")).isEqualTo("Ana O'Brien-Lima ~ #2");
    }

    @Test
    void everyOtherCharacterIsEscapedAndTheBackslashToo() {
        assertThat(ActorName.encode("Łukasz 李")).isEqualTo("\\u0141ukasz \\u674E");
        assertThat(ActorName.encode("José")).isEqualTo("Jos\\u00E9");
        // Beyond U+FFFF: its two surrogates.
        assertThat(ActorName.encode("A😀")).isEqualTo("A\\uD83D\\uDE00");
        // A backslash in a name that is escaped anyway, and in a name of ASCII that looks like an escape.
        assertThat(ActorName.encode("李\\x")).isEqualTo("\\u674E\\\\x");
        assertThat(ActorName.encode("\\u0141ukasz")).isEqualTo("\\\\u0141ukasz");
    }

    @Test
    void theSentFormIsAlwaysAHeaderTheHttpClientTakes() {
        for (String name : new String[] {"Łukasz 李", "José", "A😀", "Zoë\\", "Ана"}) {
            String sent = ActorName.encode(name);
            assertThat(sent.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
            HttpRequest.newBuilder(URI.create("http://localhost/")).header("X-Rollguard-Actor", sent);
        }
    }

    @Test
    void aNameOverTheLimitOnceSentIsAProblem() {
        assertThat(ActorName.problem("Łukasz 李")).isNull();
        assertThat(ActorName.problem("a".repeat(200))).isNull();
        assertThat(ActorName.problem("a".repeat(201))).contains("at most 200 characters");
        assertThat(ActorName.problem("李".repeat(33))).isNull();
        assertThat(ActorName.problem("李".repeat(34))).contains("which makes yours 204.");
        assertThat(ActorName.problem("Ana\nX")).isEqualTo("Your name must be one line of at most 200 characters.");
    }
}
