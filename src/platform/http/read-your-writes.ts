// Read-your-writes on every node (docs/api.md "Consistency"). Each node answers its GETs from read models of its
// own, which follow the shared log a few milliseconds behind the commits of other nodes. So a command's reply
// says, in `LoD-Position`, where in the log its events are, and a GET that carries that position back waits
// until this node's read models have reached it.

/** The header of a command's reply and of a GET that wants to see that command's events. */
export const positionHeader = 'LoD-Position'
