package dev.lb;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an API that may change or go away in a minor release, without the deprecation cycle the
 * rest of lb's public API keeps. Use it, and read the release notes (CHANGELOG.md) when upgrading;
 * the annotation goes once the API has settled.
 *
 * <p>It is kept in class files (not at run time), so tools that check API use at build time can see
 * it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({
  ElementType.TYPE,
  ElementType.METHOD,
  ElementType.CONSTRUCTOR,
  ElementType.FIELD,
  ElementType.PACKAGE
})
public @interface Experimental {
  /**
   * Why the API is experimental, or what may change.
   *
   * @return a short reason, maybe empty
   */
  String value() default "";
}
