package dev.rollguard.console.view;

import dev.rollguard.console.client.ApiResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The alert-service's answer to {@code GET /api/guard}: every verdict, worst first, or why there are none to show
 * ({@code error}, for the page to say instead of an empty section).
 */
public record GuardAnswer(List<GuardVerdict> verdicts, String error) {

    public static GuardAnswer of(ApiResult result) {
        if (!result.ok()) {
            String why =
                    switch (result.status()) {
                        case 401, 403 -> "your token may not read them (" + result.code() + ").";
                        default -> reason(result);
                    };
            return new GuardAnswer(List.of(), "The guard's verdicts are unavailable: " + why);
        }
        if (!result.body().isArray()) {
            return new GuardAnswer(
                    List.of(), "The guard's verdicts are unavailable: the alert-service's answer is not a list.");
        }
        List<GuardVerdict> verdicts = new ArrayList<>();
        result.body().forEach(v -> verdicts.add(GuardVerdict.of(v)));
        verdicts.sort(GuardVerdict.WORST_FIRST);
        return new GuardAnswer(List.copyOf(verdicts), null);
    }

    /**
     * The service's own error message; the console's account when no answer came; else the short, cleaned summary of
     * what came ({@link ApiResult#summary}), never a proxy's text repeated whole.
     */
    private static String reason(ApiResult result) {
        if (result.body().hasNonNull("message")) {
            return result.message() + " (" + result.code() + ").";
        }
        return result.consoleAccount() ? result.text() + "." : "the alert-service answered " + result.summary() + ".";
    }

    public boolean failed() {
        return error != null;
    }

    public Optional<GuardVerdict> forFlag(String flagKey) {
        return verdicts.stream().filter(v -> v.flagKey().equals(flagKey)).findFirst();
    }
}
