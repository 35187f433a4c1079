package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bin/rollguard rollout ...}: a flag's rollout plan and its controls, like {@code kubectl argo rollouts}. */
@Command(
        name = "rollout",
        description = {
            "See and steer a flag's rollout plan.",
            "",
            "A paused flag (by the guard or by hand) goes on with: rollout resume KEY --reason '...'.",
            "A killed or aborted flag, once fixed, goes back to the stage where it stopped with:"
                    + " rollout retry KEY --reason '...'."
        },
        subcommands = {
            RolloutCommands.Get.class,
            RolloutCommands.Promote.class,
            RolloutCommands.Pause.class,
            RolloutCommands.Resume.class,
            RolloutCommands.Abort.class,
            RolloutCommands.Retry.class
        })
final class RolloutCommands implements Runnable {

    @ParentCommand
    RollguardCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "rollout needs a command: get, promote, pause, resume, abort or retry");
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        RolloutCommands group;

        @Parameters(index = "0", paramLabel = "KEY", description = "The flag.")
        String key;

        RollguardCli root() {
            return group.root;
        }
    }

    /** A control: sends it, then prints the flag's new stage and state. */
    abstract static class Control extends Sub {
        @Option(
                names = "--actor",
                defaultValue = "${env:USER}",
                description = "Who, for the audit log (default: $USER; the token's name when empty).")
        String actor;

        abstract RollguardApi.Answer send();

        abstract String done();

        @Override
        public Integer call() {
            JsonNode flag = RollguardCli.check(send(), done() + " " + key).body();
            if (root().json()) {
                root().printJson(flag);
            } else {
                String stage = RollguardCli.stage(flag);
                root().out
                        .printf(
                                "%s: %s; stage %s, rollout %s, state %s%n",
                                key,
                                done(),
                                stage == null ? "-" : stage,
                                RollguardCli.percent(flag.path("rolloutPercentage")),
                                RollguardCli.state(flag));
            }
            return 0;
        }
    }

    @Command(
            name = "get",
            description = {
                "The plan as a timeline: stages, the current one, time in stage against its soak, minimums against the"
                        + " clients seen, the guard's verdict, what the promoter waits for and when it expects the next"
                        + " promotion; paused/killed/aborted.",
                "With --watch it refreshes in place until Ctrl-C (on a terminal), or prints a line per change (in a"
                        + " pipe or a file); with -o json, one JSON document per refresh, one per line."
            })
    static final class Get extends Sub {
        @Option(
                names = {"-w", "--watch"},
                description = "Refresh every --interval seconds until Ctrl-C.")
        boolean watch;

        @Option(
                names = "--interval",
                defaultValue = "5",
                description = "Seconds between two refreshes with --watch (default ${DEFAULT-VALUE}).")
        int interval;

        @Override
        public Integer call() throws InterruptedException {
            if (interval < 1) {
                throw new RollguardCli.UsageException("--interval must be at least 1 second");
            }
            RollguardCli root = root();
            RollguardCli.Screen screen = root.screen;
            String lastSummary = null;
            boolean first = true;
            do {
                JsonNode rollout = RollguardCli.check(root.api.rollout(key), "reading the rollout of " + key)
                        .body();
                RolloutTimeline.Promotion promotion = RolloutTimeline.Promotion.of(root.api, key);
                if (root.json()) {
                    JsonNode document = RolloutTimeline.document(rollout, promotion);
                    if (watch) {
                        root.out.println(document);
                    } else {
                        root.printJson(document);
                    }
                } else if (!watch) {
                    root.out.print(RolloutTimeline.render(
                            rollout, promotion, screen.clock().instant()));
                } else if (screen.terminal()) {
                    root.out.print(RolloutTimeline.CLEAR_SCREEN);
                    root.out.print(RolloutTimeline.render(
                            rollout, promotion, screen.clock().instant()));
                    root.out.printf(
                            "%nRefreshed at %s, every %ds; Ctrl-C to stop.%n",
                            RolloutTimeline.seconds(screen.clock().instant()), interval);
                } else {
                    if (first) {
                        root.out.print(RolloutTimeline.render(
                                rollout, promotion, screen.clock().instant()));
                        root.out.println();
                    }
                    String summary = RolloutTimeline.summary(rollout, promotion);
                    if (!summary.equals(lastSummary)) {
                        root.out.println(RolloutTimeline.seconds(screen.clock().instant()) + "  " + summary);
                        lastSummary = summary;
                    }
                }
                root.out.flush();
                first = false;
            } while (watch && screen.pacer().pause(Duration.ofSeconds(interval)));
            return 0;
        }
    }

    @Command(
            name = "promote",
            description = "Go to the next stage now. Refused for a killed, aborted or paused flag, at the last stage,"
                    + " and before the soak time is over unless --skip-soak.")
    static final class Promote extends Control {
        @Option(
                names = "--reason",
                defaultValue = "promoted from the CLI",
                description = "Why (default: ${DEFAULT-VALUE}).")
        String reason;

        @Option(names = "--skip-soak", description = "Go on before the current stage's soak time is over.")
        boolean skipSoak;

        @Override
        RollguardApi.Answer send() {
            return root().api.promote(key, reason, skipSoak, actor);
        }

        @Override
        String done() {
            return "promoted";
        }
    }

    @Command(name = "pause", description = "Hold the rollout at its share; promoting is refused until resumed.")
    static final class Pause extends Control {
        @Option(names = "--reason", description = "Why; recorded in the audit log.")
        String reason;

        @Override
        RollguardApi.Answer send() {
            return root().api.rolloutControl(key, "pause", reason, actor);
        }

        @Override
        String done() {
            return "paused";
        }
    }

    @Command(name = "resume", description = "Let a paused rollout go on (a paused flag only).")
    static final class Resume extends Control {
        @Option(names = "--reason", required = true, description = "Why; recorded in the audit log.")
        String reason;

        @Override
        RollguardApi.Answer send() {
            return root().api.rolloutControl(key, "resume", reason, actor);
        }

        @Override
        String done() {
            return "resumed";
        }
    }

    @Command(
            name = "abort",
            description = "Back to 0 %%: the off value for everyone, allow-list included, until a retry.")
    static final class Abort extends Control {
        @Option(names = "--reason", required = true, description = "Why; recorded in the audit log.")
        String reason;

        @Override
        RollguardApi.Answer send() {
            return root().api.rolloutControl(key, "abort", reason, actor);
        }

        @Override
        String done() {
            return "aborted";
        }
    }

    @Command(
            name = "retry",
            description = "After an abort or a kill, and a fix: back to the stage where the rollout stopped (kill"
                    + " lifted, pause lifted, soak starting again).")
    static final class Retry extends Control {
        @Option(names = "--reason", required = true, description = "Why; recorded in the audit log.")
        String reason;

        @Override
        RollguardApi.Answer send() {
            return root().api.rolloutControl(key, "retry", reason, actor);
        }

        @Override
        String done() {
            return "retried";
        }
    }
}
