/**
 * Implementation details shared between lb packages. Not exported by the module; not API, may
 * change in any release.
 */
@NullMarked
package dev.lb.internal;

import org.jspecify.annotations.NullMarked;
