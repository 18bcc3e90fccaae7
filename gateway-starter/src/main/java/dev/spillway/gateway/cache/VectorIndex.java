package dev.spillway.gateway.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * This instance's index of cached questions' embeddings: Lucene's HNSW graph in memory, searched with a filter on
 * the partition, so only questions asked in the same context (system prompt, earlier turns, model, parameters,
 * tenant) are ever compared. Bounded: beyond {@code maxEntries} the oldest go. Searches see additions after the
 * next {@link #refresh()} (Spillway refreshes every 100 ms).
 */
public class VectorIndex implements AutoCloseable {

	private static final String ID = "id";

	private static final String PARTITION = "partition";

	private static final String VECTOR = "vector";

	private final ByteBuffersDirectory directory = new ByteBuffersDirectory();

	private final IndexWriter writer;

	private final SearcherManager searchers;

	private final int maxEntries;

	/** id → expiry and question, oldest first. */
	private final LinkedHashMap<String, Meta> entries = new LinkedHashMap<>();

	private final AtomicBoolean dirty = new AtomicBoolean();

	public VectorIndex(int maxEntries) {
		this.maxEntries = maxEntries;
		try {
			this.writer = new IndexWriter(directory, new IndexWriterConfig().setRAMBufferSizeMB(512));
			this.searchers = new SearcherManager(writer, null);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Adds (or replaces) a question's embedding. */
	public void add(String id, String partition, String question, float[] vector, long expiresAtMillis) {
		Document document = new Document();
		document.add(new StringField(ID, id, Field.Store.YES));
		document.add(new StringField(PARTITION, partition, Field.Store.NO));
		document.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
		List<String> evicted = new ArrayList<>();
		synchronized (entries) {
			entries.remove(id);
			entries.put(id, new Meta(expiresAtMillis, question));
			Iterator<String> oldest = entries.keySet().iterator();
			while (entries.size() > maxEntries && oldest.hasNext()) {
				evicted.add(oldest.next());
				oldest.remove();
			}
		}
		try {
			writer.updateDocument(new Term(ID, id), document);
			for (String gone : evicted) {
				writer.deleteDocuments(new Term(ID, gone));
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		dirty.set(true);
	}

	public void remove(String id) {
		synchronized (entries) {
			entries.remove(id);
		}
		try {
			writer.deleteDocuments(new Term(ID, id));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		dirty.set(true);
	}

	/** The best live matches in {@code partition}, most similar first, with their cosine similarity. */
	public List<Match> search(String partition, float[] vector, int k, long nowMillis) {
		try {
			IndexSearcher searcher = searchers.acquire();
			try {
				TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, vector, k,
						new TermQuery(new Term(PARTITION, partition))), k);
				List<Match> matches = new ArrayList<>(top.scoreDocs.length);
				for (ScoreDoc hit : top.scoreDocs) {
					String id = searcher.storedFields().document(hit.doc).get(ID);
					Meta meta;
					synchronized (entries) {
						meta = entries.get(id);
					}
					if (meta != null && meta.expiresAtMillis > nowMillis) {
						// Lucene scores a dot product d of unit vectors as (1 + d) / 2.
						matches.add(new Match(id, 2 * hit.score - 1));
					}
				}
				return matches;
			}
			finally {
				searchers.release(searcher);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Makes recent additions searchable and drops expired entries. */
	public void refresh() {
		long now = System.currentTimeMillis();
		List<String> expired = new ArrayList<>();
		synchronized (entries) {
			for (Map.Entry<String, Meta> entry : entries.entrySet()) {
				if (entry.getValue().expiresAtMillis <= now) {
					expired.add(entry.getKey());
				}
			}
		}
		expired.forEach(this::remove);
		if (dirty.compareAndSet(true, false)) {
			try {
				searchers.maybeRefresh();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
	}

	/** The question an entry was asked as, or {@code null}. */
	public String question(String id) {
		synchronized (entries) {
			Meta meta = entries.get(id);
			return meta == null ? null : meta.question;
		}
	}

	public int size() {
		synchronized (entries) {
			return entries.size();
		}
	}

	@Override
	public void close() throws IOException {
		searchers.close();
		writer.close();
		directory.close();
	}

	private record Meta(long expiresAtMillis, String question) {
	}

	/** A candidate and its cosine similarity to the question. */
	public record Match(String id, double similarity) {
	}

}
