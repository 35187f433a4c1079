package dev.rollguard.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a client SDK does: asks the flag-service, over the OpenFeature Remote Evaluation Protocol, which variant of
 * each flag it is served ({@code POST /ofrep/v1/evaluate/flags}, bulk, with its targeting key).
 */
public final class FlagLookup {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI bulkUri;
    private final String clientToken;

    public FlagLookup(String flagServiceUrl, String clientToken) {
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.bulkUri = URI.create(flagServiceUrl.replaceAll("/+$", "") + "/ofrep/v1/evaluate/flags");
        this.clientToken = clientToken;
    }

    /** The variants served to {@code targetingKey}, restricted to {@code flagKeys} (all flags when empty). */
    public Map<String, String> variants(String targetingKey, Set<String> flagKeys)
            throws IOException, InterruptedException {
        var body = JSON.createObjectNode();
        body.putObject("context").put("targetingKey", targetingKey);
        HttpRequest request = HttpRequest.newBuilder(bulkUri)
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + clientToken)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("OFREP bulk evaluation answered " + response.statusCode() + ": " + response.body());
        }
        Map<String, String> variants = new HashMap<>();
        for (JsonNode flag : JSON.readTree(response.body()).path("flags")) {
            String key = flag.path("key").asText();
            if ((flagKeys.isEmpty() || flagKeys.contains(key)) && flag.hasNonNull("variant")) {
                variants.put(key, flag.get("variant").asText());
            }
        }
        return variants;
    }
}
