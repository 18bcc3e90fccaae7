package dev.spillway.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The events of a Responses stream that continues a broken one, as the rest of that stream: the opening events
 * (the response created and in progress, the message item and its text part added) dropped, since the client had
 * them; every other event numbered on from the broken stream's last {@code sequence_number}; the text's events
 * pointed at the broken stream's item, output and content indices; the closing events' text whole (the partial
 * answer, then the continuation's); the response named by the broken stream's id and model, its usage summed with what
 * the broken stream is taken to have used. The continuation's other output items (a reasoning model's reasoning)
 * are dropped with their events: their output indices would collide with the broken stream's, and the client has
 * the broken stream's own.
 */
final class ResponsesSplice implements WireFormat.Splice {

	private final JsonMapper json;

	private final String partial;

	private final long carriedPromptTokens;

	private final long carriedCompletionTokens;

	private final String responseId;

	private final String model;

	private final String itemId;

	private final long outputIndex;

	private final long contentIndex;

	private long sequence;

	/** Output indices of the continuation's items other than its message; a handful at most. */
	private final Set<Long> droppedOutputs = new HashSet<>();

	ResponsesSplice(JsonMapper json, ResponsesReader reader, String partial, long carriedPromptTokens,
			long carriedCompletionTokens) {
		this.json = json;
		this.partial = partial;
		this.carriedPromptTokens = carriedPromptTokens;
		this.carriedCompletionTokens = carriedCompletionTokens;
		this.responseId = reader.responseId();
		this.model = reader.model();
		this.itemId = reader.textItemId();
		this.outputIndex = reader.textOutputIndex();
		this.contentIndex = reader.textContentIndex();
		this.sequence = reader.lastSequence();
	}

	@Override
	public byte[] rewrite(byte[] event) {
		ObjectNode data = Events.dataObject(json, event);
		if (data == null) {
			return event;
		}
		String type = data.path("type").asString("");
		JsonNode index = data.get("output_index");
		if (index != null && index.isIntegralNumber()) {
			JsonNode item = data.get("item");
			if (item != null && !"message".equals(item.path("type").asString("")) && droppedOutputs.size() < 64) {
				droppedOutputs.add(index.asLong());
			}
			if (droppedOutputs.contains(index.asLong())) {
				return null;
			}
		}
		switch (type) {
			case "response.created", "response.in_progress" -> {
				return null;
			}
			case "response.output_item.added" -> {
				if ("message".equals(data.path("item").path("type").asString(""))) {
					return null;
				}
			}
			case "response.content_part.added" -> {
				return null;
			}
			case "response.output_text.delta", "response.output_text.annotation.added" -> pointAtText(data);
			case "response.output_text.done" -> {
				pointAtText(data);
				data.put("text", partial + data.path("text").asString(""));
			}
			case "response.content_part.done" -> {
				pointAtText(data);
				if (data.get("part") instanceof ObjectNode part && part.has("text")) {
					part.put("text", partial + part.path("text").asString(""));
				}
			}
			case "response.output_item.done" -> {
				if (data.get("item") instanceof ObjectNode item && "message".equals(item.path("type").asString(""))) {
					message(item);
					if (outputIndex >= 0) {
						data.put("output_index", outputIndex);
					}
				}
			}
			case "response.completed", "response.incomplete", "response.failed" -> {
				if (data.get("response") instanceof ObjectNode response) {
					response(response);
				}
			}
			default -> {
			}
		}
		data.put("sequence_number", ++sequence);
		return ("event: " + type + "\ndata: " + json.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8);
	}

	private void pointAtText(ObjectNode data) {
		if (itemId != null) {
			data.put("item_id", itemId);
		}
		if (outputIndex >= 0) {
			data.put("output_index", outputIndex);
		}
		if (contentIndex >= 0) {
			data.put("content_index", contentIndex);
		}
	}

	/** A message item of the continuation as the broken stream's: its id, and its text whole. */
	private void message(ObjectNode item) {
		if (itemId != null) {
			item.put("id", itemId);
		}
		for (JsonNode part : item.path("content")) {
			if (part instanceof ObjectNode text && "output_text".equals(text.path("type").asString(""))) {
				text.put("text", partial + text.path("text").asString(""));
				return;
			}
		}
	}

	private void response(ObjectNode response) {
		if (responseId != null) {
			response.put("id", responseId);
		}
		if (model != null) {
			response.put("model", model);
		}
		if (response.get("output") instanceof ArrayNode output) {
			for (int i = output.size() - 1; i >= 0; i--) {
				if (!"message".equals(output.get(i).path("type").asString(""))) {
					output.remove(i);
				}
			}
			if (!output.isEmpty() && output.get(0) instanceof ObjectNode message) {
				message(message);
			}
		}
		if (response.get("usage") instanceof ObjectNode usage) {
			long input = usage.path("input_tokens").asLong(0) + carriedPromptTokens;
			long output = usage.path("output_tokens").asLong(0) + carriedCompletionTokens;
			usage.put("input_tokens", input).put("output_tokens", output).put("total_tokens", input + output);
		}
	}

}
