/**
 * Probing backends for their load, the vocabulary of the {@code prequal} strategy ({@link
 * dev.lb.strategy.Prequal}): the {@link dev.lb.probe.Prober} SPI a transport implements to ask one
 * endpoint for its requests in flight and a latency estimate, the immutable {@link
 * dev.lb.probe.ProbeResult} it answers with (and its small text format, for HTTP probe paths), and
 * {@link dev.lb.probe.ProbeResponder}, which a server uses to track its own load and answer probes.
 * JDK only, like the rest of lb-core.
 */
@NullMarked
package dev.lb.probe;

import org.jspecify.annotations.NullMarked;
