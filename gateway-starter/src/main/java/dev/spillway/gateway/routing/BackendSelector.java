package dev.spillway.gateway.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;

import dev.spillway.gateway.core.BackendDefinition;
import dev.spillway.gateway.core.PoolDefinition;

/**
 * Chooses a backend of one pool: the most preferred priority group that has an eligible backend, then a
 * weighted random pick inside it. Groups are computed once; a choice allocates nothing but a small array.
 */
final class BackendSelector {

	private final List<List<BackendInstance>> groups;

	private final List<BackendInstance> all;

	public BackendSelector(PoolDefinition pool, Function<BackendDefinition, BackendState> states) {
		TreeMap<Integer, List<BackendInstance>> byPriority = new TreeMap<>();
		for (BackendDefinition backend : pool.backends()) {
			byPriority.computeIfAbsent(backend.priority(), p -> new ArrayList<>())
				.add(new BackendInstance(backend, states.apply(backend)));
		}
		this.groups = byPriority.values().stream().map(List::copyOf).toList();
		this.all = groups.stream().flatMap(List::stream).sorted(Comparator.comparing(BackendInstance::id)).toList();
	}

	/** Every backend of the pool. */
	public List<BackendInstance> backends() {
		return all;
	}

	/** The priority groups, most preferred first. */
	public List<List<BackendInstance>> groups() {
		return groups;
	}

	/** A backend from the most preferred group that has an eligible one, or {@code null} when none is eligible. */
	public BackendInstance choose(Predicate<BackendInstance> eligible) {
		for (List<BackendInstance> group : groups) {
			BackendInstance chosen = chooseInGroup(group, eligible);
			if (chosen != null) {
				return chosen;
			}
		}
		return null;
	}

	static BackendInstance chooseInGroup(List<BackendInstance> group, Predicate<BackendInstance> eligible) {
		int size = group.size();
		if (size == 1) {
			BackendInstance only = group.get(0);
			return eligible.test(only) ? only : null;
		}
		boolean[] ok = new boolean[size];
		long totalWeight = 0;
		for (int i = 0; i < size; i++) {
			BackendInstance candidate = group.get(i);
			if (eligible.test(candidate)) {
				ok[i] = true;
				totalWeight += candidate.backend().weight();
			}
		}
		if (totalWeight == 0) {
			return null;
		}
		long pick = ThreadLocalRandom.current().nextLong(totalWeight);
		for (int i = 0; i < size; i++) {
			if (ok[i]) {
				pick -= group.get(i).backend().weight();
				if (pick < 0) {
					return group.get(i);
				}
			}
		}
		throw new IllegalStateException("weights changed during a choice");
	}

}
