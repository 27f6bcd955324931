// Kotlin/Wasm sample for weft's tests: interfaces, sealed classes and
// virtual dispatch (is/as/as?/when), data classes (equals, hashCode,
// toString, copy, destructuring), enums, objects, HashMap/HashSet/ArrayList,
// sorting, string building, lambdas and higher-order functions, generics.

interface Named {
    val name: String
    fun describe(): String = "a $name"
}

interface Measured {
    // Twice the area, so triangles stay integral.
    fun area2(): Long
    fun perimeter(): Long
}

sealed class Shape : Named, Measured

data class Rect(val w: Int, val h: Int) : Shape() {
    override val name get() = if (w == h) "square" else "rect"
    override fun area2() = 2L * w * h
    override fun perimeter() = 2L * (w + h)
}

data class Tri(val a: Int, val b: Int, val c: Int, val base: Int, val height: Int) : Shape() {
    override val name get() = "triangle"
    override fun area2() = base.toLong() * height
    override fun perimeter() = (a + b + c).toLong()
    override fun describe() = "a triangle with sides $a, $b, $c"
}

class Group(val parts: List<Shape>) : Shape() {
    override val name get() = "group of ${parts.size}"
    override fun area2() = parts.sumOf { it.area2() }
    override fun perimeter() = parts.sumOf { it.perimeter() }
}

object Empty : Shape() {
    override val name get() = "empty"
    override fun area2() = 0L
    override fun perimeter() = 0L
}

enum class Color(val rgb: Int) {
    RED(0xff0000), GREEN(0x00ff00), BLUE(0x0000ff), GRAY(0x808080);

    fun mix(other: Color): Int = (rgb + other.rgb) / 2
}

data class Tile(val shape: Shape, val color: Color)

fun kind(s: Shape): String = when (s) {
    is Rect -> if (s.w == s.h) "S${s.w}" else "R${s.w}x${s.h}"
    is Tri -> "T${s.base}/${s.height}"
    is Group -> "G[" + s.parts.joinToString(",") { kind(it) } + "]"
    Empty -> "E"
}

fun anyKind(x: Any?): String = when (x) {
    null -> "null"
    is Int -> "int $x"
    is String -> "string of ${x.length}"
    is Shape -> "shape ${kind(x)}"
    is Color -> "color ${x.name.lowercase()}"
    is List<*> -> "list of ${x.size}"
    else -> "other"
}

// Generics: a persistent stack and bounded type parameters.
class Stack<out T>(private val items: List<T>) {
    fun push(x: @UnsafeVariance T): Stack<T> = Stack(items + x)
    fun peek(): T? = items.lastOrNull()
    val size get() = items.size
}

fun <T : Comparable<T>> largest(xs: Iterable<T>): T? {
    var best: T? = null
    for (x in xs) if (best == null || x > best) best = x
    return best
}

fun <A, B, C> compose(f: (A) -> B, g: (B) -> C): (A) -> C = { g(f(it)) }

fun <T> Iterable<T>.countWhere(p: (T) -> Boolean): Int {
    var n = 0
    for (x in this) if (p(x)) n++
    return n
}

class Pair2<A, B>(val first: A, val second: B) {
    fun <C> mapSecond(f: (B) -> C) = Pair2(first, f(second))
    override fun toString() = "($first, $second)"
}

fun makeShapes(): List<Shape> {
    val out = ArrayList<Shape>()
    var x = 7
    for (i in 0 until 60) {
        x = (x * 31 + 11) % 1009
        out.add(
            when (x % 4) {
                0 -> Rect(1 + x % 9, 1 + x % 9)
                1 -> Rect(1 + x % 7, 2 + x % 5)
                2 -> Tri(3 + x % 4, 4 + x % 4, 5 + x % 4, 2 + x % 6, 1 + x % 8)
                else -> if (i % 10 == 3) Empty else Rect(2 + x % 3, 1 + x % 11)
            }
        )
    }
    out.add(Group(listOf(out[0], out[1], out[2])))
    out.add(Group(listOf(Group(listOf(out[3])), Empty)))
    return out
}

fun main() {
    val shapes = makeShapes()

    // Virtual dispatch through the interfaces and the sealed class.
    val total2 = shapes.sumOf { it.area2() }
    val perim = shapes.fold(0L) { acc, s -> acc + s.perimeter() }
    println("shapes: ${shapes.size} area2=$total2 perimeter=$perim")
    val named: List<Named> = shapes
    println("names: " + named.map { it.name }.distinct().sorted().joinToString("|"))
    println("describe: " + shapes.take(4).joinToString("; ") { it.describe() })
    println("kinds: " + shapes.takeLast(3).joinToString(" ") { kind(it) })

    // Casts.
    val rects = shapes.filterIsInstance<Rect>()
    val squares = rects.countWhere { it.w == it.h }
    val tris = shapes.mapNotNull { it as? Tri }
    val measured = shapes[shapes.size - 2] as Measured
    println("casts: rects=${rects.size} squares=$squares tris=${tris.size} group=${measured.area2()}")
    val mixed: List<Any?> = listOf(3, "four", null, Rect(2, 2), Color.BLUE, listOf(1, 2), 2.5)
    println("any: " + mixed.joinToString("; ") { anyKind(it) })

    // Data classes: equality, hashing, toString, copy, destructuring.
    val r1 = Rect(3, 4)
    val r2 = Rect(3, 4)
    val r3 = r1.copy(h = 5)
    println("data: ${r1 == r2} ${r1 === r2} ${r1 == r3} ${r1.hashCode() == r2.hashCode()} $r1 $r3")
    println("hash: ${r1.hashCode()} ${r3.hashCode()} ${Tri(3, 4, 5, 4, 3).hashCode()} ${"kotlin".hashCode()}")
    val (w, h) = r3
    println("destructure: w=$w h=$h ${Tri(3, 4, 5, 4, 3)}")

    // HashMap keyed by data classes; HashSet; sorting.
    val counts = HashMap<Shape, Int>()
    for (s in shapes) if (s !is Group) counts[s] = (counts[s] ?: 0) + 1
    val top = counts.entries
        .sortedWith(compareByDescending<Map.Entry<Shape, Int>> { it.value }.thenBy { kind(it.key) })
        .take(5)
        .joinToString(" ") { "${kind(it.key)}x${it.value}" }
    println("distinct: ${counts.size} top: $top")
    val set = HashSet<Rect>()
    for (r in rects) set.add(r.copy(w = r.h, h = r.w))
    println("set: ${set.size} ${set.contains(Rect(1, 2))} ${rects.all { r -> Rect(r.h, r.w) in set }}")
    val byArea = shapes.sortedBy { it.area2() }.map { it.area2() }
    println("sorted: first=${byArea.take(5)} last=${byArea.takeLast(3)} median=${byArea[byArea.size / 2]}")
    val tiles = shapes.filter { it !is Group }.mapIndexed { i, s -> Tile(s, Color.entries[i % Color.entries.size]) }
    val byColor = tiles.groupBy { it.color }
    println("colors: " + Color.entries.joinToString(" ") { c ->
        "${c.name}:${byColor[c]?.size}:${byColor[c]?.sumOf { it.shape.area2() }}:${c.ordinal}"
    })
    println("mix: ${Color.RED.mix(Color.BLUE).toString(16)} ${Color.valueOf("GRAY").rgb.toString(16)}")

    // Lambdas, closures with captured mutable state, function references.
    var calls = 0
    val counter: (Int) -> Int = { calls++; it * 3 }
    val plusOne = { n: Int -> n + 1 }
    val f = compose(counter, plusOne)
    val g = compose(f, Int::toString)
    val applied = (1..10).map(g)
    println("lambdas: ${applied.joinToString(",")} calls=$calls")
    val adders = (1..5).map { k -> { n: Int -> n + k * 100 } }
    println("adders: " + adders.map { it(7) })
    val ops: Map<String, (Long, Long) -> Long> = mapOf(
        "+" to { a, b -> a + b },
        "*" to { a, b -> a * b },
        "max" to ::maxOf,
    )
    println("ops: " + ops.map { (k, op) -> "$k=${op(6, 7)}" }.joinToString(" "))

    // Generics.
    var st = Stack<Shape>(emptyList())
    for (s in shapes.take(6)) st = st.push(s)
    val asNamed: Stack<Named> = st
    println("stack: ${st.size} ${asNamed.peek()?.name}")
    println("largest: ${largest(listOf(3, 9, 2))} ${largest(listOf("pear", "apple", "zoo", "fig"))} ${largest(emptyList<Int>())}")
    println("pair: " + Pair2("w", 21).mapSecond { it * 2 }.mapSecond { "<$it>" })

    // String building.
    val sb = StringBuilder()
    for ((i, s) in shapes.withIndex()) {
        if (i % 12 == 0) sb.append('\n').append(i.toString().padStart(3, '0')).append(':')
        sb.append(kind(s).first())
    }
    println("layout:$sb")
    val words = "the quick brown fox jumps over the lazy dog".split(" ")
    val title = words.joinToString(" ") { it.replaceFirstChar { c -> c.uppercaseChar() } }
    val freq = words.joinToString("").groupingBy { it }.eachCount().toList()
        .sortedWith(compareBy({ -it.second }, { it.first })).take(4)
    println("text: $title | ${words.map { it.length }.sum()} | ${title.reversed().take(8)} | $freq")
    val report = buildString {
        append("report[")
        shapes.asSequence().filter { it is Rect }.map { it as Rect }.filter { it.w > it.h }
            .take(4).forEach { append(it.w * it.h).append(' ') }
        append("]")
    }
    println(report)
}
