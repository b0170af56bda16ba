"""The production world's parameters, in one typed, frozen config."""

from __future__ import annotations

from dataclasses import dataclass

# Cell types of the grid. Agents are not part of the grid: they stand on cells.
EMPTY = 0
WALL = 1
RESOURCE = 2
FACTORY = 3
CHARGER = 4
CELL_NAMES: dict[int, str] = {
    EMPTY: "empty",
    WALL: "wall",
    RESOURCE: "resource",
    FACTORY: "factory",
    CHARGER: "charger",
}

# Actions. Moves are (dy, dx) on grid[y][x]; "up" lowers y.
STAY, UP, DOWN, LEFT, RIGHT, PICK, DROP = range(7)
ACTION_NAMES: tuple[str, ...] = ("stay", "up", "down", "left", "right", "pick", "drop")
NUM_ACTIONS = len(ACTION_NAMES)
MOVE_DELTAS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (0, 0), (0, 0))
OUT_OF_ENERGY = "out_of_energy"
"""The action log's entry for an agent whose energy ran out: an event, not an action it takes."""

MAX_AGENTS = 8
"""The most agents a room holds; observations carry a one-hot agent id of this width."""


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes one production world. Defaults are the served world."""

    width: int = 20
    """Columns of the grid."""
    height: int = 20
    """Rows of the grid."""
    wall_segments: int = 6
    """Straight interior wall pieces laid at each reset (the free cells always stay connected)."""
    wall_length: tuple[int, int] = (2, 5)
    """Inclusive range of a wall piece's length."""
    factories: int = 3
    """Factory cells: dropping carried resources there makes products."""
    chargers: int = 3
    """Charger cells: an agent that ends its tick on one regains energy."""
    initial_resources: int = 12
    """Resource cells laid at reset."""
    max_resources: int = 20
    """Respawning stops while this many resources lie on the grid."""
    respawn_probability: float = 0.5
    """Chance per tick that one resource grows on a uniformly drawn free cell (empty, no agent)."""
    max_energy: int = 100
    """Energy of a full battery; agents start full."""
    move_cost: int = 1
    """Energy an attempted move costs, blocked or not."""
    work_cost: int = 1
    """Energy a pick or a drop costs."""
    charge_rate: int = 25
    """Energy regained for each tick ended on a charger."""
    carry_capacity: int = 2
    """Resources an agent can carry at once."""
    max_ticks: int = 500
    """Episode length: the episode is truncated after this many ticks."""
    view_radius: int = 3
    """The egocentric view covers (2r+1) x (2r+1) cells around the agent."""
    product_reward: float = 1.0
    """Reward per product made (one per resource dropped at a factory)."""
    pick_reward: float = 0.1
    """Shaping: reward for picking up a resource."""
    out_of_energy_penalty: float = 0.0
    """Shaping: penalty when an agent's energy reaches zero away from a charger. Off by default:
    early on it teaches agents to stand still rather than to recharge."""
    shaping_scale: float = 0.05
    """Shaping: reward per cell of progress towards the agent's goal (see docs/world.md)."""
    low_energy_margin: int = 8
    """An agent is low on energy when its energy is at most its distance to a charger plus this."""

    def __post_init__(self) -> None:
        if not 5 <= self.width <= 64 or not 5 <= self.height <= 64:
            raise ValueError(f"Grid size {self.width}x{self.height} is outside 5x5 to 64x64.")
        free = self.width * self.height
        needed = self.factories + self.chargers + self.max_resources + MAX_AGENTS
        if needed > free // 2:
            raise ValueError(
                f"A {self.width}x{self.height} grid is too small for {needed} special cells and agents."
            )
        if self.max_energy <= 0 or self.max_ticks <= 0 or self.carry_capacity <= 0:
            raise ValueError("max_energy, max_ticks and carry_capacity must be positive.")

    @property
    def view_size(self) -> int:
        """Side of the egocentric view."""
        return 2 * self.view_radius + 1
