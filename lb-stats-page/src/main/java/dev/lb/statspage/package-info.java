/** An optional stats page for lb's balancers: {@link dev.lb.statspage.StatsPage}. */
@NullMarked
package dev.lb.statspage;

import org.jspecify.annotations.NullMarked;
