package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteBudgetTest {
  @Test
  void takesWhatFitsAndRefusesTheRestUntilGivenBack() {
    ByteBudget budget = new ByteBudget("test", 100);

    assertThat(budget.tryTake(60)).isTrue();
    assertThat(budget.tryTake(50)).isFalse();
    assertThat(budget.tryTake(40)).isTrue();
    assertThat(budget.isFull()).isTrue();
    budget.giveBack(60);
    assertThat(budget.tryTake(50)).isTrue();
    assertThat(budget.usedBytes()).isEqualTo(90);
  }

  @Test
  void anEmptyBudgetTakesOneItemBiggerThanItself() {
    ByteBudget budget = new ByteBudget("test", 100);

    assertThat(budget.tryTake(1_000)).as("else it could never pass").isTrue();
    assertThat(budget.tryTake(1)).isFalse();
  }

  @Test
  void givingBackMoreThanWasTakenIsABug() {
    ByteBudget budget = new ByteBudget("test", 100);
    budget.take(10);

    assertThatThrownBy(() -> budget.giveBack(11))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("test")
        .hasMessageContaining("-1");
  }
}
