package dev.spillway.gateway.architecture;

import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The walls between Spillway's packages (see docs/architecture.md): the core knows no capability; a capability uses
 * another only through the one's published {@code api} package; no package cycles; and what is public outside the
 * core and the {@code api} packages is an auto-configuration, a properties class or a listed extension point.
 */
@AnalyzeClasses(packages = "dev.spillway.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageWallsTests {

	static final String ROOT = "dev.spillway.gateway.";

	/** The core: what every capability needs, layered core ← error ← wire ← request ← autoconfigure. */
	static final List<String> CORE = List.of("core", "error", "wire", "request", "autoconfigure");

	static final List<String> CAPABILITIES = List.of("tenant", "limit", "cache", "idempotency", "jobs", "routing",
			"upstream", "streaming", "observability", "pricing", "responses");

	/** Public types of capabilities that users may name or replace, besides auto-configurations and properties. */
	static final Set<String> EXTENSION_POINTS = Set.of(ROOT + "cache.EmbeddingModel");

	@ArchTest
	static final ArchRule theCoreKnowsNoCapability = noClasses().that()
		.resideInAnyPackage(packages(CORE))
		.should()
		.dependOnClassesThat()
		.resideInAnyPackage(packages(CAPABILITIES))
		.because("the core owns what every capability needs and knows none of them");

	@ArchTest
	static final ArchRule capabilitiesMeetOnlyThroughPublishedApis = classes().that()
		.resideInAnyPackage(packages(CAPABILITIES))
		.should(useOtherCapabilitiesOnlyThroughTheirApi());

	@ArchTest
	static final ArchRule publishedApisStandOnTheCoreOnly = classes().that()
		.resideInAnyPackage(ROOT + "*.api..")
		.should()
		.onlyDependOnClassesThat(resideOutsideOfPackage("dev.spillway.gateway..").or(resideInAnyPackage(packages(CORE)))
			.or(resideInAnyPackage(ROOT + "*.api..")))
		.because("an api package is what others may use: it must not drag its capability's internals along");

	@ArchTest
	static final ArchRule noPackageCycles = slices().matching(ROOT + "(**)").should().beFreeOfCycles();

	@ArchTest
	static final ArchRule onlyAutoConfigurationsPropertiesAndExtensionPointsArePublic = classes().that()
		.resideInAnyPackage(CAPABILITIES.stream().map(c -> ROOT + c).toArray(String[]::new))
		.and()
		.areTopLevelClasses()
		.and()
		.arePublic()
		.should(beAutoConfigurationPropertiesOrExtensionPoint());

	/** Prints the package graph's size: its edges, the pairs of packages that use each other, and public types. */
	@ArchTest
	static void report(JavaClasses classes) {
		TreeMap<String, Set<String>> uses = new TreeMap<>();
		int topLevel = 0;
		int publicTypes = 0;
		for (JavaClass type : classes) {
			if (!type.isTopLevelClass() || type.getSimpleName().equals("package-info")) {
				continue;
			}
			topLevel++;
			publicTypes += type.getModifiers().contains(JavaModifier.PUBLIC) ? 1 : 0;
			for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
				String to = dependency.getTargetClass().getPackageName();
				if (to.startsWith(ROOT) && !to.equals(type.getPackageName())) {
					uses.computeIfAbsent(type.getPackageName(), p -> new TreeSet<>()).add(to);
				}
			}
		}
		int edges = uses.values().stream().mapToInt(Set::size).sum();
		Set<String> twoWay = new TreeSet<>();
		uses.forEach((from, targets) -> targets.stream()
			.filter(to -> uses.getOrDefault(to, Set.of()).contains(from))
			.forEach(to -> twoWay.add(from.compareTo(to) < 0 ? from + " <-> " + to : to + " <-> " + from)));
		System.out.println("Package graph: " + topLevel + " top-level types, " + publicTypes + " public; " + edges
				+ " package dependencies; " + twoWay.size() + " pairs of packages that use each other " + twoWay);
	}

	private static String[] packages(List<String> names) {
		return names.stream().map(name -> ROOT + name + "..").toArray(String[]::new);
	}

	private static String capabilityOf(String packageName) {
		if (!packageName.startsWith(ROOT)) {
			return null;
		}
		String first = packageName.substring(ROOT.length()).split("\\.")[0];
		return CAPABILITIES.contains(first) ? first : null;
	}

	private static ArchCondition<JavaClass> useOtherCapabilitiesOnlyThroughTheirApi() {
		return new ArchCondition<>("use other capabilities only through their api package") {

			@Override
			public void check(JavaClass type, ConditionEvents events) {
				String own = capabilityOf(type.getPackageName());
				for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
					String target = dependency.getTargetClass().getPackageName();
					String other = capabilityOf(target);
					if (other != null && !other.equals(own) && !target.startsWith(ROOT + other + ".api")) {
						events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
					}
				}
			}

		};
	}

	private static ArchCondition<JavaClass> beAutoConfigurationPropertiesOrExtensionPoint() {
		return new ArchCondition<>("be an auto-configuration, a properties class, a route filter factory or a listed extension point") {

			@Override
			public void check(JavaClass type, ConditionEvents events) {
				String name = type.getSimpleName();
				boolean allowed = name.endsWith("AutoConfiguration") || name.endsWith("Properties")
						|| name.endsWith("GatewayFilterFactory")
						|| EXTENSION_POINTS.contains(type.getName());
				if (!allowed) {
					events.add(SimpleConditionEvent.violated(type, type.getName()
							+ " is public: make it package-private, or publish it in an api package"));
				}
			}

		};
	}

}
