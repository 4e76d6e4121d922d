package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PickContextTest {
  @Test
  void none_isSharedAndEmpty() {
    assertThat(PickContext.none()).isSameAs(PickContext.none());
    assertThat(PickContext.none().hasKey()).isFalse();
    assertThat(PickContext.none().keyKind()).isEqualTo(PickContext.KeyKind.NONE);
    assertThat(PickContext.none().attributes()).isEmpty();
    assertThat(PickContext.builder().build()).isSameAs(PickContext.none());
  }

  @Test
  void keys_ofEachKind_readBackOnlyAsThatKind() {
    PickContext chars = PickContext.ofKey("user-42");
    assertThat(chars.keyKind()).isEqualTo(PickContext.KeyKind.CHARS);
    assertThat(chars.charsKey()).hasToString("user-42");
    assertThatThrownBy(chars::longKey)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("key kind is CHARS, not LONG");

    PickContext number = PickContext.ofKey(42L);
    assertThat(number.longKey()).isEqualTo(42L);
    assertThat(number.hasKey()).isTrue();
    assertThatThrownBy(number::bytesKey).hasMessage("key kind is LONG, not BYTES");

    byte[] bytes = {1, 2, 3};
    PickContext raw = PickContext.ofKey(bytes);
    assertThat(raw.bytesKey()).isSameAs(bytes);
    assertThatThrownBy(raw::charsKey).hasMessage("key kind is BYTES, not CHARS");
  }

  @Test
  void builder_lastKeyWins_andAttributesAreCopied() {
    PickContext ctx =
        PickContext.builder()
            .key("first")
            .key(7L)
            .attribute("path", "/api/users")
            .attribute("tenant", 3)
            .build();
    assertThat(ctx.keyKind()).isEqualTo(PickContext.KeyKind.LONG);
    assertThat(ctx.longKey()).isEqualTo(7L);
    assertThat(ctx.attribute("path")).isEqualTo("/api/users");
    assertThat(ctx.attribute("missing")).isNull();
    assertThat(ctx.attributes())
        .containsExactlyInAnyOrderEntriesOf(Map.of("path", "/api/users", "tenant", 3));
    assertThat(PickContext.builder().key(new byte[2]).build().keyKind())
        .isEqualTo(PickContext.KeyKind.BYTES);
    assertThat(PickContext.builder().attribute("a", 1).build().hasKey()).isFalse();
  }

  @Test
  void toString_showsKeyAndAttributes() {
    assertThat(PickContext.ofKey("k")).hasToString("PickContext{key='k', attributes={}}");
    assertThat(PickContext.ofKey(5L)).hasToString("PickContext{key=5, attributes={}}");
    assertThat(PickContext.ofKey(new byte[4]))
        .hasToString("PickContext{key=4 bytes, attributes={}}");
    assertThat(PickContext.none()).hasToString("PickContext{key=none, attributes={}}");
  }

  @Test
  void badInput_rejectedNamingTheOption() {
    assertThatThrownBy(() -> PickContext.builder().attribute(" ", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("attribute name must not be blank but was ' '");
  }
}
