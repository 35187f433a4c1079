package dev.rollguard.alert.mapping;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Links into the Rollguard console, the pages people can open from a notification (never a token-protected API),
 * from the one configured console base URL.
 */
public record ConsoleLinks(String base) {

    public ConsoleLinks {
        base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    /** The flag's page: state, rollout, live metrics and its guard verdict. */
    public String flag(String key) {
        return base + "/flags/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The alerts page: active alerts and recent transitions. */
    public String alerts() {
        return base + "/alerts";
    }

    /** The page an alert is best read on: its flag's page when it names one, else the alerts page. */
    public String alert(Map<String, String> labels) {
        String flag = labels.get("flag");
        return flag == null || flag.isEmpty() ? alerts() : flag(flag);
    }

    /** The automatic actions taken on a flag (all of them for null). */
    public String rollbacks(String flagKey) {
        return flagKey == null
                ? base + "/rollbacks"
                : base + "/rollbacks?flag=" + URLEncoder.encode(flagKey, StandardCharsets.UTF_8);
    }
}
