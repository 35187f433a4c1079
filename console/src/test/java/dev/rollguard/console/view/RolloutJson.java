package dev.rollguard.console.view;

/** The rollout answers of the flag-service and the promoter, as the tests of the rollout views use them. */
public final class RolloutJson {

    private RolloutJson() {}

    /**
     * A timeline of a four-stage plan (internal manual, 10% auto, 50% auto, 100% manual) in phase {@code phase},
     * at {@code current} (null: not on the plan), with the stopping fields given as JSON members.
     */
    public static String timeline(String key, String phase, Integer current, String extra) {
        String[] names = {"internal", "10%", "50%", "100%"};
        double[] percentages = {0, 10, 50, 100};
        long[] soaks = {60, 600, 3600, 0};
        long[] minimums = {0, 200, 500, 0};
        String[] modes = {"manual", "auto", "auto", "manual"};
        String[] tolerances = {"", ", \"tolerancePercent\": 50", "", ""};
        StringBuilder stages = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            String status =
                    current == null ? "PENDING" : i < current ? "COMPLETED" : i == current ? "CURRENT" : "PENDING";
            if (i > 0) {
                stages.append(',');
            }
            stages.append(
                    """
                    {"index": %d, "name": "%s", "percentage": %s, "minSoakSeconds": %d, "minClientsPerCohort": %d,
                     "promotion": "%s"%s, "status": "%s"}"""
                            .formatted(
                                    i,
                                    names[i],
                                    percentages[i],
                                    soaks[i],
                                    minimums[i],
                                    modes[i],
                                    tolerances[i],
                                    status));
        }
        String percentage = current == null ? "0.0" : Double.toString(percentages[current]);
        return """
                {"key": "%s", "phase": "%s", "enabled": true, "rolloutPercentage": %s, "currentStage": %s,
                 "stageEnteredAt": "2026-12-01T10:00:00Z", "secondsInStage": 350, "soakRemainingSeconds": 250,
                 "paused": false, "killed": false, "aborted": false,
                 "onMinimumsNotMet": {"deadlineSeconds": 86400, "extensionSeconds": 43200, "then": "revert"},
                 "stages": [%s], "version": 14, "at": "2026-12-01T10:05:50Z"%s}
                """
                .formatted(
                        key,
                        phase,
                        percentage,
                        current == null ? "null" : current.toString(),
                        stages,
                        extra.isEmpty() ? "" : ", " + extra);
    }

    /** The promoter's assessment of stage 1 (10%) of {@code key}. */
    public static String assessment(String key, String decision, String waitingFor, String expected, String reasons) {
        return """
                {"flagKey": "%s", "phase": "PROGRESSING", "promotion": "AUTO", "stage": 1, "stageName": "10%%",
                 "percentage": 10.0, "nextStage": 2, "nextStageName": "50%%", "nextPercentage": 50.0,
                 "stageVersion": 14, "stageEnteredAt": "2026-12-01T10:00:00Z", "decision": "%s",
                 "waitingFor": [%s], "reasons": [%s], "soakRemainingSeconds": 250, "minClientsPerCohort": 200,
                 "treatedClients": 120, "controlClients": 900, "verdict": "INCONCLUSIVE", "confidence": 0.99,
                 "deadline": "2026-12-02T10:00:00Z", "extended": false, "expectedPromotionAt": %s,
                 "assessedAt": "2026-12-01T10:05:50Z"}
                """
                .formatted(key, decision, waitingFor, reasons, expected == null ? "null" : "\"" + expected + "\"");
    }

    /** A PROMOTE step of {@code key} from 10% to 50%, applied, with two metrics as evidence. */
    public static String promoteStep(String key, String actionId) {
        return """
                {"id": 31, "actionId": "%s", "flagKey": "%s", "action": "PROMOTE", "outcome": "APPLIED",
                 "reason": "10%% healthy: soak 600 s over, 250 vs 260 clients, no regression at 99 %%",
                 "fromStage": 1, "fromStageName": "10%%", "fromPercentage": 10.0,
                 "toStage": 2, "toStageName": "50%%", "toPercentage": 50.0, "stageVersion": 14,
                 "stageEnteredAt": "2026-12-01T10:00:00Z", "minSoakSeconds": 600, "secondsInStage": 640,
                 "minClientsPerCohort": 200, "treatedClients": 250, "controlClients": 260,
                 "verdict": "HEALTHY", "confidence": 0.99,
                 "metrics": [{"metric": "failure", "status": "NON_INFERIOR", "treated": 0.011, "control": 0.012,
                              "relativeEffect": -0.083, "effectLower": -0.2, "effectUpper": 0.04,
                              "treatedClients": 250, "controlClients": 260},
                             {"metric": "syncDurationP95", "status": "NON_INFERIOR", "treated": 180.0,
                              "control": 178.0, "relativeEffect": 0.011, "effectLower": null, "effectUpper": null,
                              "treatedClients": 250, "controlClients": 260}],
                 "dryRun": false, "decidedAt": "2026-12-01T10:10:40Z", "flagVersionBefore": 14,
                 "flagVersionAfter": 15, "flagChangedAt": "2026-12-01T10:10:41Z",
                 "createdAt": "2026-12-01T10:10:41Z"}
                """
                .formatted(actionId, key);
    }
}
