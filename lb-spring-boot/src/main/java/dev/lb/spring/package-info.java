/**
 * Spring Boot auto-configuration for lb: one {@link dev.lb.LoadBalancer} per {@code
 * lb.services.<name>} entry, an lb-okhttp client over them, a Spring Cloud LoadBalancer bridge that
 * makes {@code @LoadBalanced} clients pick through lb, and an Actuator health indicator. See {@link
 * dev.lb.spring.LbAutoConfiguration} for what is configured when.
 */
@NullMarked
package dev.lb.spring;

import org.jspecify.annotations.NullMarked;
