package dev.spillway.mock;

/** Formats durations the way OpenAI's {@code x-ratelimit-reset-*} headers do: {@code 1s}, {@code 12ms}, {@code 6m0s}. */
final class GoDurations {

	private GoDurations() {
	}

	static String format(long nanos) {
		long millis = Math.max(0, nanos / 1_000_000);
		if (millis < 1000) {
			return millis + "ms";
		}
		long minutes = millis / 60_000;
		double seconds = (millis % 60_000) / 1000.0;
		String secondsText = seconds == Math.rint(seconds) ? Long.toString((long) seconds) : String.valueOf(seconds);
		return minutes > 0 ? minutes + "m" + secondsText + "s" : secondsText + "s";
	}

}
