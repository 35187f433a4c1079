package dev.rollguard.infra;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The headless Chromium of every browser test: the machine's Chromium and ChromeDriver (the system properties
 * {@code chromium.binary} and {@code chromedriver.binary}, else /usr/bin; {@code bin/rollguard test} installs them),
 * a fresh profile per browser, the browser console log kept for the test to read. Selenium is an optional dependency
 * of this module: the modules with browser tests declare it.
 */
public final class HeadlessChromium {

    private HeadlessChromium() {}

    /**
     * Starts a browser.
     *
     * @param profile name of its fresh profile directory
     * @param windowSize {@code WIDTHxHEIGHT} such as {@code 1366x1000}, or null for Chromium's default
     * @param performanceLog whether to keep the performance log too (network events, for tests that follow requests)
     */
    public static WebDriver start(String profile, String windowSize, boolean performanceLog) {
        String browser = System.getProperty("chromium.binary", "/usr/bin/chromium");
        String chromedriver = System.getProperty("chromedriver.binary", "/usr/bin/chromedriver");
        for (String binary : List.of(browser, chromedriver)) {
            if (!Files.isExecutable(Path.of(binary))) {
                throw new IllegalStateException(
                        binary + " is missing: the browser tests need apt-get install -y chromium chromium-driver");
            }
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser);
        List<String> arguments = new ArrayList<>(List.of(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--user-data-dir=" + SharedInfra.freshDirectory(profile)));
        if (windowSize != null) {
            arguments.add("--window-size=" + windowSize.replace('x', ','));
        }
        options.addArguments(arguments);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        if (performanceLog) {
            logs.enable(LogType.PERFORMANCE, Level.ALL);
        }
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(chromedriver))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }
}
