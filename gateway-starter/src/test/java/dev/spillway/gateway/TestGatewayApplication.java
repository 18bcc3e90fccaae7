package dev.spillway.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A bare gateway: Spring Cloud Gateway, the Spillway starter and the test's YAML, nothing else. */
@SpringBootApplication
public class TestGatewayApplication {

	/** Runs a test gateway in a JVM of its own, for tests that stop an instance as an operator would. */
	public static void main(String[] args) {
		SpringApplication.run(TestGatewayApplication.class, args);
	}

}
