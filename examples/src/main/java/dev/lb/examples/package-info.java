/**
 * Runnable programs that double as documentation: the {@link dev.lb.examples.Demo} (real HTTP
 * backends, real faults, a live table), {@link dev.lb.examples.CompareStrategies} (the strategy
 * simulator), and focused examples: {@link dev.lb.examples.OkHttpQuickStart}, {@link
 * dev.lb.examples.GrpcQuickStart}, {@link dev.lb.examples.HashingExample} and {@link
 * dev.lb.examples.CanaryExample}. Each is compiled by the build and run by a smoke test.
 */
@NullMarked
package dev.lb.examples;

import org.jspecify.annotations.NullMarked;
