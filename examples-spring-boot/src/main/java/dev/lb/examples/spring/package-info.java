/**
 * A Spring Boot application on lb-spring-boot: {@link dev.lb.examples.spring.SpringBootExample}.
 */
@NullMarked
package dev.lb.examples.spring;

import org.jspecify.annotations.NullMarked;
