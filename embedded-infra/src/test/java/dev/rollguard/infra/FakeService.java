package dev.rollguard.infra;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a packaged service, run from a jar by {@link ServiceProcessTest}: it answers {@code /q/health/ready}
 * on {@code quarkus.http.port} (503 until {@code fake.ready-after-ms} has passed), prints what it was configured with,
 * and shuts down on SIGTERM like Quarkus does, unless told to exit at once or to hang on SIGTERM.
 */
public final class FakeService {

    private FakeService() {}

    public static void main(String[] args) throws Exception {
        System.out.println("fake starting: token=" + System.getenv("ROLLGUARD_ADMIN_TOKEN") + " property="
                + System.getProperty("fake.property"));
        int exit = Integer.getInteger("fake.exit", -1);
        if (exit >= 0) {
            System.out.println("fake failing on purpose");
            System.exit(exit);
        }
        long readyAt = System.currentTimeMillis() + Long.getLong("fake.ready-after-ms", 0);
        HttpServer server =
                HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.getInteger("quarkus.http.port")), 0);
        server.createContext("/q/health/ready", exchange -> {
            boolean ready = System.currentTimeMillis() >= readyAt;
            byte[] body = (ready ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(ready ? 200 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        System.out.println("fake listening");
        CountDownLatch stopped = new CountDownLatch(1);
        boolean hang = Boolean.getBoolean("fake.hang-on-term");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (hang) {
                try {
                    TimeUnit.MINUTES.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            server.stop(0);
            System.out.println("fake stopped gracefully");
            stopped.countDown();
        }));
        stopped.await();
    }
}
