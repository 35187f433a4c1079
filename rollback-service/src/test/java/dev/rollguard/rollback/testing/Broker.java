package dev.rollguard.rollback.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.SharedInfra;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Properties;
import org.eclipse.microprofile.config.ConfigProvider;

/** Restarts the embedded test broker on the same ports and data, as an operator restarting Kafka would. */
public final class Broker {

    private Broker() {}

    public static void restart() {
        EmbeddedKafka kafka = SharedInfra.embeddedKafka();
        assumeTrue(kafka != null, "an external broker is configured; it cannot be restarted from a test");
        assertThat(kafka.bootstrapServers())
                .as("the broker the application uses")
                .isEqualTo(ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class));
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(kafka.dataDir().resolve("server.properties"))) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String bootstrap = kafka.bootstrapServers();
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        String voters = props.getProperty("controller.quorum.voters");
        int controllerPort = Integer.parseInt(voters.substring(voters.lastIndexOf(':') + 1));
        kafka.close();
        EmbeddedKafka.start(kafka.dataDir(), port, controllerPort);
    }
}
