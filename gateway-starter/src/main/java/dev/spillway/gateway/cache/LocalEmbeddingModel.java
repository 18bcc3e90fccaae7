package dev.spillway.gateway.cache;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.util.CustomizableThreadCreator;

/**
 * all-MiniLM-L6-v2, quantized, run in process with ONNX Runtime: no network, ~2 ms per short question on one
 * core. Inference is CPU work: it runs on a small pool of its own with a bounded queue (a full queue is a miss,
 * never a wait), and each embedding has a timeout. The model loads in the background at start.
 */
class LocalEmbeddingModel implements EmbeddingModel, DisposableBean {

	/** The identity of this model in the vector index. */
	public static final String ID = "all-minilm-l6-v2-q";

	private final ThreadPoolExecutor executor;

	private final Scheduler scheduler;

	private final Duration timeout;

	private final Mono<AllMiniLmL6V2QuantizedEmbeddingModel> model;

	public LocalEmbeddingModel(int threads, int queueCapacity, Duration timeout) {
		CustomizableThreadCreator names = new CustomizableThreadCreator("spillway-embedding-");
		names.setDaemon(true);
		this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
				new ArrayBlockingQueue<>(queueCapacity), names::createThread, new ThreadPoolExecutor.AbortPolicy());
		this.scheduler = Schedulers.fromExecutorService(executor, "spillway-embedding");
		this.timeout = timeout;
		this.model = Mono.fromCallable(AllMiniLmL6V2QuantizedEmbeddingModel::new)
			.subscribeOn(Schedulers.boundedElastic())
			.cache();
		this.model.subscribe(loaded -> {
		}, failure -> {
		});
	}

	@Override
	public String id() {
		return ID;
	}

	@Override
	public Mono<float[]> embed(String text) {
		return model.flatMap(loaded -> Mono.fromCallable(() -> EmbeddingModel.normalise(loaded.embed(text).content().vector()))
			.subscribeOn(scheduler)
			.timeout(timeout));
	}

	/** Embeds on the calling thread, for evaluations and benchmarks. */
	public float[] embedNow(String text) {
		return EmbeddingModel.normalise(model.block().embed(text).content().vector());
	}

	@Override
	public void destroy() {
		scheduler.dispose();
		executor.shutdownNow();
	}

}
