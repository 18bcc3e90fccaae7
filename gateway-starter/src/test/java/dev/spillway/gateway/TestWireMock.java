package dev.spillway.gateway;

import com.github.tomakehurst.wiremock.WireMockServer;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/** A WireMock backend on a free loopback port, started. */
public final class TestWireMock {

	private TestWireMock() {
	}

	public static WireMockServer started() {
		WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
		server.start();
		return server;
	}

}
