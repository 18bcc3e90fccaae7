package dev.spillway.gateway;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A bare gateway: Spring Cloud Gateway, the Spillway starter and the test's YAML, nothing else. */
@SpringBootApplication
public class TestGatewayApplication {

}
