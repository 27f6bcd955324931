// Kotlin/Wasm GC workload for weft's tests and GC benchmark: binary-trees.
// Many short-lived trees of every depth, one long-lived tree, and a ring of
// medium trees that die out of allocation order. Deterministic: prints
// node counts and item checksums only.

const val MAX_DEPTH = 15
const val MIN_DEPTH = 4

class Node(val item: Int, val left: Node?, val right: Node?)

fun bottomUp(item: Int, depth: Int): Node =
    if (depth > 0) Node(item, bottomUp(2 * item - 1, depth - 1), bottomUp(2 * item, depth - 1))
    else Node(item, null, null)

// item + left - right over the whole tree.
fun itemCheck(n: Node): Int {
    val l = n.left
    val r = n.right
    return if (l == null || r == null) n.item else n.item + itemCheck(l) - itemCheck(r)
}

fun count(n: Node?): Int = if (n == null) 0 else 1 + count(n.left) + count(n.right)

// Sum of depth * item over the nodes, wrapping like Int.
fun weighted(n: Node?, depth: Int): Int =
    if (n == null) 0 else depth * n.item + weighted(n.left, depth + 1) + weighted(n.right, depth + 1)

fun main() {
    val stretch = MAX_DEPTH + 1
    val s = bottomUp(0, stretch)
    println("stretch tree of depth $stretch\t nodes: ${count(s)}\t check: ${itemCheck(s)}")

    val longLived = bottomUp(0, MAX_DEPTH)

    var depth = MIN_DEPTH
    while (depth <= MAX_DEPTH) {
        val iterations = 1 shl (MAX_DEPTH - depth + MIN_DEPTH)
        var check = 0
        var nodes = 0L
        for (i in 1..iterations) {
            val a = bottomUp(i, depth)
            val b = bottomUp(-i, depth)
            check += itemCheck(a) + itemCheck(b)
            nodes += count(a) + count(b)
        }
        println("${iterations * 2}\t trees of depth $depth\t nodes: $nodes\t check: $check")
        depth += 2
    }

    // A ring of trees: each new tree replaces the oldest, so the survivors
    // are scattered through the heap when the collector runs.
    val ring = arrayOfNulls<Node>(32)
    var ringSum = 0
    for (i in 0 until 2048) {
        ring[(i * 7) % ring.size] = bottomUp(i, 8 + i % 3)
        if (i % 64 == 63) for (t in ring) ringSum += weighted(t, 1)
    }
    println("ring: $ringSum")

    println("long lived tree of depth $MAX_DEPTH\t nodes: ${count(longLived)}\t check: ${itemCheck(longLived)}\t weighted: ${weighted(longLived, 1)}")
}
