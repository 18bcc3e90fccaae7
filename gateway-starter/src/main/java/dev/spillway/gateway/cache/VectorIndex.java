package dev.spillway.gateway.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

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
 * tenant) are ever compared. Bounded: beyond {@code maxEntries} the oldest go, and expired entries are dropped.
 * <p>
 * One writer: {@link #add}, {@link #remove} and {@link #refresh} are called from a single thread (the cache's
 * indexing thread), so the bookkeeping needs no lock; searches, from any thread, read a concurrent map and
 * Lucene's searcher. Searches see additions after the next {@link #refresh()}; an entry removed or expired is
 * never returned, refreshed or not.
 */
class VectorIndex implements AutoCloseable {

	private static final String ID = "id";

	private static final String PARTITION = "partition";

	private static final String VECTOR = "vector";

	private final ByteBuffersDirectory directory = new ByteBuffersDirectory();

	private final IndexWriter writer;

	private final SearcherManager searchers;

	private final int maxEntries;

	/** id → expiry and question, read by searches. */
	private final Map<String, Meta> entries = new ConcurrentHashMap<>();

	/** Ids oldest first (writer only). */
	private final LinkedHashSet<String> age = new LinkedHashSet<>();

	/** Ids by expiry (writer only), so expired entries are found without a scan. */
	private final TreeSet<Expiry> expiries = new TreeSet<>();

	private boolean dirty;

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

	/** Adds (or replaces) a question's embedding. Writer thread only. */
	public void add(String id, String partition, String question, float[] vector, long expiresAtMillis) {
		Document document = new Document();
		document.add(new StringField(ID, id, Field.Store.YES));
		document.add(new StringField(PARTITION, partition, Field.Store.NO));
		document.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
		forget(id);
		entries.put(id, new Meta(expiresAtMillis, question));
		age.add(id);
		expiries.add(new Expiry(expiresAtMillis, id));
		try {
			writer.updateDocument(new Term(ID, id), document);
			Iterator<String> oldest = age.iterator();
			while (age.size() > maxEntries && oldest.hasNext()) {
				String gone = oldest.next();
				oldest.remove();
				Meta meta = entries.remove(gone);
				if (meta != null) {
					expiries.remove(new Expiry(meta.expiresAtMillis, gone));
				}
				writer.deleteDocuments(new Term(ID, gone));
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		dirty = true;
	}

	/** Removes an entry. Writer thread only. */
	public void remove(String id) {
		if (!forget(id)) {
			return;
		}
		try {
			writer.deleteDocuments(new Term(ID, id));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		dirty = true;
	}

	private boolean forget(String id) {
		Meta meta = entries.remove(id);
		if (meta == null) {
			return false;
		}
		age.remove(id);
		expiries.remove(new Expiry(meta.expiresAtMillis, id));
		return true;
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
					Meta meta = entries.get(id);
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

	/** Drops expired entries (the earliest expiries first, no scan) and makes changes searchable. Writer only. */
	public void refresh() {
		long now = System.currentTimeMillis();
		while (!expiries.isEmpty() && expiries.first().atMillis <= now) {
			remove(expiries.pollFirst().id);
		}
		if (dirty) {
			dirty = false;
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
		Meta meta = entries.get(id);
		return meta == null ? null : meta.question;
	}

	public int size() {
		return entries.size();
	}

	@Override
	public void close() throws IOException {
		searchers.close();
		writer.close();
		directory.close();
	}

	private record Meta(long expiresAtMillis, String question) {
	}

	private record Expiry(long atMillis, String id) implements Comparable<Expiry> {

		@Override
		public int compareTo(Expiry other) {
			int byTime = Long.compare(atMillis, other.atMillis);
			return byTime != 0 ? byTime : id.compareTo(other.id);
		}

	}

	/** A candidate and its cosine similarity to the question. */
	public record Match(String id, double similarity) {
	}

}
