package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hashing example keeps users on their backend and moves only the users it must. */
class HashingExampleTest {
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void ringHash_movesOnlyTheLeavingBackendsUsers_andStickySessionsStayWhenABackendJoins()
      throws Exception {
    HashingExample.Result r = HashingExample.run(200);

    assertThat(r.ringConsistent()).as(r.report()).isTrue();
    assertThat(r.ringOwners()).as(r.report()).hasSize(4);
    assertThat(r.ringOwners().values()).allSatisfy(n -> assertThat(n).isBetween(20, 80));
    assertThat(r.removedOwned()).isPositive();
    assertThat(r.movedOnRemoval()).as(r.report()).isEqualTo(r.removedOwned());
    assertThat(r.movedOffOthersOnRemoval()).isZero();
    // A fifth of the users is 40; a ring that moved many more would not be consistent hashing.
    assertThat(r.movedOnJoinRing()).as(r.report()).isBetween(15, 70);
    assertThat(r.movedOnJoinElsewhere()).as(r.report()).isZero();
    assertThat(r.movedOnJoinSticky()).as(r.report()).isZero();
    assertThat(r.report()).contains("sticky sessions over b1..b4, then b5 added: 0 of 200");
  }
}
