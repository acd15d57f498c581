package dev.ballot.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium ({@code /usr/bin/chromium}), headless, driven by Selenium through Debian's
 * {@code /usr/bin/chromedriver}. Both paths are given explicitly, so Selenium Manager is never
 * asked for a driver or a browser and nothing is downloaded. Fails with what to install when they
 * are missing ({@code .ci/run} installs them).
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration PAGE_LOAD_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(10);

  private final ChromeDriver driver;
  private final Path profileDir;

  private HeadlessChromium(ChromeDriver driver, Path profileDir) {
    this.driver = driver;
    this.profileDir = profileDir;
  }

  /** A 1280x800 window; the browser's profile and chromedriver's log go under {@code dir}. */
  static HeadlessChromium start(Path dir) {
    for (Path binary : new Path[] {CHROMIUM, CHROMEDRIVER}) {
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException(
            binary + " is missing: apt-get install -y chromium chromium-driver (.ci/run does)");
      }
    }
    // Where Selenium looks before it would ask Selenium Manager; the service below names it too.
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
    Path profileDir;
    try {
      Files.createDirectories(dir);
      profileDir = Files.createTempDirectory(dir, "chromium-profile-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox", // the tests may run as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--user-data-dir=" + profileDir,
        "--window-size=1280,800");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(dir.resolve("chromedriver.log").toFile())
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(PAGE_LOAD_TIMEOUT);
    driver.manage().timeouts().scriptTimeout(SCRIPT_TIMEOUT);
    return new HeadlessChromium(driver, profileDir);
  }

  ChromeDriver driver() {
    return driver;
  }

  /** Saves what the window shows now as a PNG. */
  void screenshot(Path png) {
    byte[] bytes = driver.getScreenshotAs(OutputType.BYTES);
    try {
      Files.createDirectories(png.getParent());
      Files.write(png, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      driver.quit(); // also stops chromedriver
    } finally {
      KvCluster.deleteRecursively(profileDir);
    }
  }
}
