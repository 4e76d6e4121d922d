/**
 * Selection strategies ({@link dev.lb.strategy.Strategies}) and the SPI for writing one ({@link
 * dev.lb.strategy.Strategy}, {@link dev.lb.strategy.Picker}, {@link dev.lb.strategy.LiveEndpoint}).
 */
@NullMarked
package dev.lb.strategy;

import org.jspecify.annotations.NullMarked;
