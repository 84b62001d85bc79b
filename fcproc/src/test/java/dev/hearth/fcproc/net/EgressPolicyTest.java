package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {

  @Test
  void openAndNoneInAnyCase() {
    assertThat(EgressPolicy.parse("open")).isEqualTo(EgressPolicy.OPEN);
    assertThat(EgressPolicy.parse(" NONE ")).isEqualTo(EgressPolicy.NONE);
    assertThat(EgressPolicy.OPEN.allowsName("anything.example")).isTrue();
    assertThat(EgressPolicy.NONE.allowsName("anything.example")).isFalse();
    assertThat(EgressPolicy.OPEN.allowsAddress(Ipv4.parse("8.8.8.8"))).isTrue();
    assertThat(EgressPolicy.NONE.allowsAddress(Ipv4.parse("8.8.8.8"))).isFalse();
  }

  @Test
  void anAllowListIsCanonicalisedOnce() {
    EgressPolicy policy =
        EgressPolicy.parse("allow: GitHub.com. ,*.PyPI.org,10.1.2.3/8,203.0.113.7,github.com");
    assertThat(policy.mode()).isEqualTo(EgressPolicy.Mode.ALLOW);
    assertThat(policy.names()).containsExactly("github.com", "*.pypi.org");
    assertThat(policy.cidrs())
        .containsExactly(Ipv4Cidr.parse("10.0.0.0/8"), Ipv4Cidr.parse("203.0.113.7/32"));
    assertThat(policy).hasToString("allow:github.com,*.pypi.org,10.0.0.0/8,203.0.113.7");
    assertThat(EgressPolicy.parse(policy.toString())).isEqualTo(policy);
  }

  @Test
  void exactNamesAndWildcards() {
    EgressPolicy policy = EgressPolicy.parse("allow:github.com,*.pypi.org");
    assertThat(policy.allowsName("github.com")).isTrue();
    assertThat(policy.allowsName("GitHub.com.")).isTrue();
    assertThat(policy.allowsName("api.github.com")).as("no wildcard for github.com").isFalse();
    assertThat(policy.allowsName("evilgithub.com")).isFalse();
    assertThat(policy.allowsName("files.pypi.org")).isTrue();
    assertThat(policy.allowsName("a.b.pypi.org")).isTrue();
    assertThat(policy.allowsName("pypi.org")).as("the apex of a wildcard").isFalse();
    assertThat(policy.allowsName("evilpypi.org")).isFalse();
    assertThat(policy.allowsName(".pypi.org")).isFalse();
  }

  @Test
  void cidrsMatchAddresses() {
    EgressPolicy policy = EgressPolicy.parse("allow:203.0.113.128/25,198.51.100.1");
    assertThat(policy.allowsAddress(Ipv4.parse("203.0.113.200"))).isTrue();
    assertThat(policy.allowsAddress(Ipv4.parse("203.0.113.127"))).isFalse();
    assertThat(policy.allowsAddress(Ipv4.parse("198.51.100.1"))).isTrue();
    assertThat(policy.allowsAddress(Ipv4.parse("198.51.100.2"))).isFalse();
    assertThat(policy.allowsName("example.com")).isFalse();
  }

  @Test
  void badPoliciesAndEntriesAreNamed() {
    assertThatThrownBy(() -> EgressPolicy.parse("closed"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'closed'")
        .hasMessageContaining("open, none or allow:");
    assertThatThrownBy(() -> EgressPolicy.parse("allow:")).hasMessageContaining("empty entry");
    assertThatThrownBy(() -> EgressPolicy.parse("allow:a.com,,b.com"))
        .hasMessageContaining("empty entry");
    for (String bad :
        List.of(
            "exa mple.com",
            "*",
            "*.",
            "a.*.com",
            "git*.com",
            "-a.com",
            "a-.com",
            "localhost",
            "10.0.0.256",
            "10.0.0.0/33",
            "10.0.0",
            "010.0.0.1",
            "a..com",
            "x".repeat(64) + ".com")) {
      assertThatThrownBy(() -> EgressPolicy.parse("allow:ok.com," + bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bad entry '" + bad + "'");
    }
  }

  @Test
  void sizesAreBounded() {
    StringBuilder many = new StringBuilder("allow:");
    for (int i = 0; i <= EgressPolicy.MAX_ENTRIES; i++) {
      many.append(i == 0 ? "" : ",").append("h").append(i).append(".example");
    }
    assertThatThrownBy(() -> EgressPolicy.parse(many.toString()))
        .hasMessageContaining("at most " + EgressPolicy.MAX_ENTRIES + " entries");
    assertThatThrownBy(() -> EgressPolicy.parse("allow:" + "a".repeat(EgressPolicy.MAX_TEXT)))
        .hasMessageContaining("longer than " + EgressPolicy.MAX_TEXT);
    String longName = ("a".repeat(60) + ".").repeat(5) + "com";
    assertThatThrownBy(() -> EgressPolicy.parse("allow:" + longName))
        .hasMessageContaining("1 to 253 characters");
  }
}
