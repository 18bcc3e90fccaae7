package dev.spillway.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A gateway made of the Spillway starter and {@code application.yml} only. By default it brings its own Redis
 * and simulated Azure OpenAI deployments ({@link EmbeddedDemo}); with the {@code real} profile it serves the
 * backends and the Redis its configuration names.
 */
@SpringBootApplication
public class SampleGatewayApplication {

	public static void main(String[] args) {
		SpringApplication.run(SampleGatewayApplication.class, args);
	}

}
