package dev.spillway.gateway.core;

import java.time.Duration;
import java.util.Locale;

/** Go durations, the form OpenAI's {@code x-ratelimit-reset-*} headers use: read and written in one place. */
public final class GoDurations {

	private GoDurations() {
	}

	/**
	 * Parses a Go duration as OpenAI writes them ({@code 1s}, {@code 12ms}, {@code 6m0s}, {@code 2m59.56s},
	 * {@code 1h2m}), or returns {@code null}.
	 */
	public static Duration parse(String value) {
		if (value == null || value.isBlank() || value.length() > 40) {
			return null;
		}
		String text = value.trim();
		long nanos = 0;
		int i = 0;
		boolean any = false;
		while (i < text.length()) {
			int start = i;
			while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
				i++;
			}
			if (start == i) {
				return null;
			}
			double amount;
			try {
				amount = Double.parseDouble(text.substring(start, i));
			}
			catch (NumberFormatException ex) {
				return null;
			}
			int unitStart = i;
			while (i < text.length() && Character.isLetter(text.charAt(i))) {
				i++;
			}
			long unitNanos = switch (text.substring(unitStart, i)) {
				case "h" -> 3_600_000_000_000L;
				case "m" -> 60_000_000_000L;
				case "s" -> 1_000_000_000L;
				case "ms" -> 1_000_000L;
				case "us", "µs" -> 1_000L;
				case "ns" -> 1L;
				default -> -1L;
			};
			if (unitNanos < 0) {
				return null;
			}
			nanos += (long) (amount * unitNanos);
			any = true;
		}
		return any ? Duration.ofNanos(nanos) : null;
	}

	/** A duration as OpenAI writes them: {@code 0s}, {@code 12ms}, {@code 1.5s}, {@code 6m0s}. */
	public static String format(long nanos) {
		long millis = Math.max(0, (nanos + 999_999) / 1_000_000);
		if (millis == 0) {
			return "0s";
		}
		if (millis < 1000) {
			return millis + "ms";
		}
		long minutes = millis / 60_000;
		long restMillis = millis % 60_000;
		String seconds = restMillis % 1000 == 0 ? Long.toString(restMillis / 1000)
				: String.format(Locale.ROOT, "%.3f", restMillis / 1000.0).replaceAll("0+$", "");
		return minutes > 0 ? minutes + "m" + seconds + "s" : seconds + "s";
	}

}
