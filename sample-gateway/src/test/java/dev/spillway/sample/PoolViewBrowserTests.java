package dev.spillway.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live view of the pools in a real headless browser (Debian's Chromium, through ChromeDriver): the page loads,
 * shows both backends of the demo pool, and shows the PTU throttled once its budget is gone. Skipped where Chromium
 * and ChromeDriver are not installed; {@code .ci/run} installs them, so CI runs it. Leaves a screenshot in
 * {@code target/pool-view.png}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PoolViewBrowserTests {

	static final Path CHROMIUM = Path.of("/usr/bin/chromium");

	static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Value("${spillway.demo.ptu-url}")
	String ptuUrl;

	private ChromeDriver browser;

	@BeforeEach
	void startBrowser() throws Exception {
		assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
				"needs Debian's chromium and chromium-driver");
		ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
		// Headless, and nothing that reaches for the network: this machine's network is closed.
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--window-size=1200,900", "--user-data-dir=" + Files.createTempDirectory("chromium"));
		browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build(),
				options);
	}

	@AfterEach
	void stopBrowser() {
		if (browser != null) {
			browser.quit();
		}
	}

	@Test
	void thePageShowsBothBackendsAndThePtuThrottledAfterABurst() throws Exception {
		browser.get("http://localhost:" + managementPort + "/spillway");
		await().atMost(Duration.ofSeconds(15))
			.until(() -> browser.findElements(By.cssSelector("[data-backend]")).size() >= 2);
		assertThat(read(() -> browser.findElement(By.cssSelector("[data-pool='gpt-4o']")).getText())).isEqualTo("gpt-4o");
		assertThat(read(() -> browser.findElement(By.cssSelector("[data-backend='ptu']")).getAttribute("data-state")))
			.isEqualTo("UP");
		assertThat(read(() -> browser.findElements(By.cssSelector("[data-backend='paygo']")).size())).isEqualTo(1);

		// The burst: the PTU serves, another client of it (called directly) uses up its budget, the next request
		// meets its 429 and spills.
		chat("Hello");
		for (int tokens : new int[] { 1900, 900, 400, 200, 100, 50, 25 }) {
			http.send(HttpRequest.newBuilder(URI.create(ptuUrl
					+ "/openai/deployments/gpt-4o-ptu/chat/completions?api-version=2024-10-21"))
				.header("api-key", "demo-ptu-key")
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"max_tokens\":" + tokens
						+ ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
				.build(), HttpResponse.BodyHandlers.discarding());
		}
		for (int i = 0; i < 5; i++) {
			chat("Tell me about rivers, part " + i);
		}

		await().atMost(Duration.ofSeconds(15))
			.ignoreException(StaleElementReferenceException.class)
			.until(() -> "THROTTLED"
				.equals(browser.findElement(By.cssSelector("[data-backend='ptu']")).getAttribute("data-state")));
		assertThat(read(() -> browser.findElement(By.cssSelector("[data-backend='ptu']")).getText()))
			.contains("throttled until");
		assertThat(read(() -> browser.findElement(By.cssSelector("[data-tenant='demo']")).getText())).contains("demo");
		Files.write(Path.of("target", "pool-view.png"), browser.getScreenshotAs(OutputType.BYTES));
	}

	/**
	 * The page re-renders every second, so an element found a moment ago can be gone when it is read; read again
	 * from a fresh lookup until a read completes.
	 */
	private static <T> T read(Callable<T> lookup) {
		return await().atMost(Duration.ofSeconds(5))
			.ignoreException(StaleElementReferenceException.class)
			.until(lookup, Objects::nonNull);
	}

	private void chat(String question) throws Exception {
		http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer sk-spillway-demo")
			.header("Content-Type", "application/json")
			.header("x-spillway-max-wait", "0")
			.POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o\",\"max_tokens\":300,"
					+ "\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}"))
			.timeout(Duration.ofSeconds(60))
			.build(), HttpResponse.BodyHandlers.discarding());
	}

}
