package dev.spillway.gateway;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.annotation.AliasFor;

/**
 * A gateway test: the test gateway on a random port, pointed at the shared test Redis under a key prefix of its
 * own (fresh for every application context), and at the test class's mock backend — its one static
 * {@link dev.spillway.mock.MockOpenAiServer} field, closed after the class. {@link #pool()} names the mock's
 * deployments that make up pool {@code gpt}; a test that shapes its pool itself leaves it empty and refers to the
 * mock as {@code ${spillway.test.backend-url}} in its properties (a list binds from one property source only, so a
 * class that sets any backend property itself gives the whole backend list).
 *
 * @see GatewayTestExtension
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(GatewayTestExtension.class)
public @interface GatewayTest {

	/**
	 * The deployments of pool {@code gpt}, one Azure-form backend each, named after its deployment: one gives a
	 * single backend ({@code mock}); more give one priority group each, in the order given (the first preferred).
	 */
	String[] pool() default {};

	/** Reset the mock backend (records, faults, throttles) whenever an application context starts. */
	boolean resetBackendOnStart() default false;

	@AliasFor(annotation = SpringBootTest.class)
	String[] properties() default {};

}
