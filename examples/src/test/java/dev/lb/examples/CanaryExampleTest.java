package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The canary example splits users 95/5, keeps each user in one arm, and only grows the canary. */
class CanaryExampleTest {
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void split95to5_perUser_andGrowingTheCanaryOnlyAddsUsersToIt() throws Exception {
    CanaryExample.Result r = CanaryExample.run(1000);

    // 5% of 1000 is 50, with a standard deviation of about 7 for a good hash.
    assertThat(r.canaryUsers()).as(r.report()).isBetween(30, 70);
    assertThat(r.usersKeptTheirArm()).as(r.report()).isTrue();
    assertThat(r.canaryUsersGrown()).as(r.report()).isBetween(200, 300);
    assertThat(r.canaryUsersThatLeft()).as(r.report()).isZero();
  }
}
