package dev.spillway.sample;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Tells whoever started the gateway where it listens and how to try it, in a curl command ready to paste. */
@Component
class ReadyBanner {

	private static final Logger log = LoggerFactory.getLogger(ReadyBanner.class);

	@EventListener
	void ready(ApplicationReadyEvent event) {
		if (!(event.getApplicationContext() instanceof WebServerApplicationContext web) || web.getWebServer() == null) {
			return;
		}
		String url = "http://localhost:" + web.getWebServer().getPort();
		log.info("""

				Spillway sample gateway is ready on {}
				Try a streamed chat completion:

				  curl -N {}/v1/chat/completions -H "Authorization: Bearer sk-spillway-demo" \\
				    -H "Content-Type: application/json" \\
				    -d '{{"model":"gpt-4o","stream":true,"messages":[{{"role":"user","content":"Hello"}}]}}'

				Health, metrics and tenant views: http://localhost:{}/actuator (management port, loopback only)
				""".replace("{{", "{").replace("}}", "}"), url, url,
				event.getApplicationContext().getEnvironment().getProperty("local.management.port",
						event.getApplicationContext().getEnvironment().getProperty("management.server.port", "8081")));
	}

}
