// Kotlin/Wasm sample for weft's tests: exceptions (a custom hierarchy,
// try/catch/finally, rethrow with a cause, exceptions across lambdas,
// recursion and stdlib frames, catching by type, the stdlib's own
// exceptions, runCatching/Result) plus IntArray, LongArray, ByteArray,
// CharArray, Array<String>, StringBuilder and Char arithmetic.

open class AppError(message: String, cause: Throwable? = null) : Exception(message, cause)
class ParseError(val pos: Int, message: String) : AppError("parse error at $pos: $message")
class LimitError(val limit: Int) : AppError("limit $limit exceeded")
class Wrapped(cause: Throwable) : AppError("wrapped", cause)
class Deep(val depth: Int) : RuntimeException("deep $depth")

val log = StringBuilder()

fun note(s: String) {
    log.append(s).append(' ')
}

fun parseNumber(s: String): Int {
    if (s.isEmpty()) throw ParseError(0, "empty")
    var v = 0
    var sign = 1
    for ((i, c) in s.withIndex()) {
        when {
            i == 0 && c == '-' -> sign = -1
            c.isDigit() -> v = v * 10 + c.digitToInt()
            else -> throw ParseError(i, "unexpected '$c'")
        }
        if (v > 100000) throw LimitError(100000)
    }
    return sign * v
}

fun classify(s: String): String = try {
    "ok ${parseNumber(s)}"
} catch (e: ParseError) {
    "parse@${e.pos}"
} catch (e: AppError) {
    "app(${e.message})"
} finally {
    note("c:$s")
}

// Throws from depth `at`, with a finally at every level on the way out.
var unwound = 0

fun descend(depth: Int, at: Int): Int {
    try {
        if (depth == at) throw Deep(depth)
        return descend(depth + 1, at) + 1
    } finally {
        unwound++
    }
}

fun rethrow(s: String): Int {
    try {
        return parseNumber(s)
    } catch (e: ParseError) {
        throw Wrapped(e)
    }
}

fun withFinallyResult(x: Int): Int {
    var r = 0
    try {
        if (x % 2 == 0) return x * 10
        r = x
    } finally {
        r += 1000
        note("f$x")
    }
    return r
}

fun loopWithFinally(): String {
    val out = StringBuilder()
    for (i in 0 until 8) {
        try {
            if (i == 2) continue
            if (i == 6) break
            if (i % 3 == 1) throw LimitError(i)
            out.append("b$i")
        } catch (e: LimitError) {
            out.append("x${e.limit}")
        } finally {
            out.append('.')
        }
    }
    return out.toString()
}

fun <T> attempt(label: String, block: () -> T): String = try {
    "$label=${block()}"
} catch (e: AppError) {
    "$label:app:${e.message}"
} catch (e: ArithmeticException) {
    "$label:arith"
} catch (e: IndexOutOfBoundsException) {
    "$label:index"
} catch (e: NullPointerException) {
    "$label:npe"
} catch (e: ClassCastException) {
    "$label:cast"
} catch (e: NumberFormatException) {
    "$label:number"
} catch (e: IllegalArgumentException) {
    "$label:arg:${e.message}"
} catch (e: IllegalStateException) {
    "$label:state:${e.message}"
} catch (e: Throwable) {
    "$label:other"
}

fun sieve(n: Int): IntArray {
    val composite = BooleanArray(n + 1)
    val primes = IntArray(n)
    var count = 0
    for (i in 2..n) {
        if (composite[i]) continue
        primes[count++] = i
        var j = i.toLong() * i
        while (j <= n) {
            composite[j.toInt()] = true
            j += i
        }
    }
    return primes.copyOf(count)
}

fun caesar(s: String, k: Int): String {
    val chars = s.toCharArray()
    for (i in chars.indices) {
        val c = chars[i]
        chars[i] = when (c) {
            in 'a'..'z' -> 'a' + (c - 'a' + k).mod(26)
            in 'A'..'Z' -> 'A' + (c - 'A' + k).mod(26)
            else -> c
        }
    }
    return chars.concatToString()
}

fun main() {
    // Catching by type, finally on every path.
    val inputs = listOf("42", "-17", "4x2", "", "999999", "7")
    println("classify: " + inputs.joinToString(" | ") { classify(it) })
    println("log: $log")
    log.clear()

    // Unwinding through recursion.
    var caught = 0
    for (at in listOf(0, 5, 50, 200)) {
        try {
            descend(0, at)
        } catch (e: Deep) {
            caught += e.depth
        }
    }
    println("deep: caught=$caught unwound=$unwound")

    // Rethrow with a cause.
    for (s in listOf("12", "1z")) {
        try {
            println("rethrow: ${rethrow(s)}")
        } catch (e: Wrapped) {
            val cause = e.cause
            println("rethrow: ${e.message} <- ${cause?.message} ${cause is ParseError} ${(cause as ParseError).pos}")
        }
    }

    // return and break/continue through finally.
    println("finally: ${(1..5).map { withFinallyResult(it) }} ${loopWithFinally()} log=$log")
    log.clear()

    // Exceptions through lambdas: non-inline lambdas stored in a list, an
    // inline forEach, and a comparator called from inside the stdlib's sort.
    val actions: List<() -> Int> = listOf(
        { 1 },
        { throw LimitError(3) },
        { parseNumber("12") + 1 },
        { listOf(1, 2, 3)[5] },
    )
    var total = 0
    val failures = ArrayList<String>()
    for ((i, a) in actions.withIndex()) {
        try {
            total += a()
        } catch (e: Exception) {
            failures.add("$i:${e::class.simpleName}")
        }
    }
    println("actions: total=$total failures=$failures")
    val found = run {
        listOf(5, 8, 13, 21).forEach { if (it % 2 == 0) return@run it }
        -1
    }
    val sortFailure = try {
        listOf("b", "a", "c", "boom", "d").sortedWith { x, y ->
            if (x == "boom" || y == "boom") throw AppError("cannot compare boom")
            x.compareTo(y)
        }.toString()
    } catch (e: AppError) {
        "sort failed: ${e.message}"
    }
    println("inline: $found $sortFailure")

    // The stdlib's exceptions, caught by type.
    var zero = 0
    val nothing: String? = if (zero == 0) null else "x"
    val anyValue: Any = "text"
    println(
        listOf(
            attempt("div") { 10 / zero },
            attempt("rem") { 10L % zero.toLong() },
            attempt("list") { mutableListOf(1, 2).removeAt(4) },
            attempt("npe") { nothing!!.length },
            attempt("cast") { anyValue as Int },
            attempt("num") { "12a".toInt() },
            attempt("require") { require(zero > 0) { "zero is $zero" } },
            attempt("check") { check(zero > 0) { "still $zero" } },
            attempt("error") { error("plain") },
            attempt("app") { throw LimitError(9) },
            attempt("fine") { 10 / 3 },
        ).joinToString(" ")
    )

    // runCatching and Result.
    val results = listOf("5", "x", "70000", "-3").map { s -> runCatching { parseNumber(s) * 2 } }
    println("results: " + results.joinToString(" ") { r ->
        r.fold({ "ok($it)" }, { "err(${it::class.simpleName})" })
    })
    val recovered = results.map { r -> r.recover { if (it is ParseError) -it.pos else 0 }.getOrThrow() }
    val mapped = results.map { it.map { v -> v + 1 }.getOrDefault(-1) }
    println("result: $recovered $mapped ${results.count { it.isFailure }} ${results[1].exceptionOrNull()?.message}")
    val chained = runCatching { runCatching { throw Deep(1) }.getOrThrow() }.exceptionOrNull()
    println("chained: ${chained is Deep} ${chained?.message}")

    // Arrays.
    val primes = sieve(2000)
    println("primes: ${primes.size} last=${primes.last()} sum=${primes.sum()} ${primes.take(8)}")
    val fib = LongArray(90)
    fib[0] = 0
    fib[1] = 1
    for (i in 2 until fib.size) fib[i] = fib[i - 1] + fib[i - 2]
    var xor = 0L
    for (v in fib) xor = xor xor v
    println("fib: ${fib[89]} xor=$xor ${fib.count { it % 2L == 0L }}")
    val bytes = ByteArray(256) { (it * 37 + 11).toByte() }
    var bsum = 0
    var neg = 0
    for (b in bytes) {
        bsum += b
        if (b < 0) neg++
    }
    bytes.sort()
    println("bytes: sum=$bsum neg=$neg min=${bytes.first()} max=${bytes.last()} ${(200).toByte()} ${(-1).toByte().toInt() and 0xff}")
    val names = arrayOf("delta", "alpha", "echo", "charlie", "bravo", "Foxtrot")
    names.sort()
    val byLen = names.sortedWith(compareBy<String> { it.length }.thenByDescending { it })
    println("names: ${names.joinToString()} | ${byLen.joinToString()} | ${names.indexOf("echo")}")
    val grid = Array(4) { r -> IntArray(5) { c -> r * 5 + c } }
    val diag = (0 until 4).sumOf { grid[it][it] }
    val colSums = IntArray(5).also { s -> for (row in grid) for (c in row.indices) s[c] += row[c] }
    println("grid: diag=$diag cols=${colSums.contentToString()} ${grid.map { it.sum() }}")

    // StringBuilder and Char arithmetic.
    val sb = StringBuilder("weft")
    sb.insert(0, "<").append('>').append(42).append(true).reverse()
    sb[0] = 'E'
    sb.deleteAt(sb.length - 1)
    println("sb: $sb ${sb.length} ${sb.indexOf("tf")}")
    val secret = caesar("Hello, Wasm GC World!", 7)
    println("caesar: $secret ${caesar(secret, -7)}")
    val codes = "Kotlin".map { it.code }
    val shifted = codes.map { Char(it + 1) }.joinToString("")
    val digits = "a1b2c3d4".filter { it.isDigit() }.map { it.digitToInt() }.sum()
    val hex = (0 until 16).joinToString("") { it.digitToChar(16).toString() }
    println("chars: $codes $shifted $digits $hex ${'z' - 'a'} ${'A' + 25} ${'7'.code - '0'.code} ${'q'.uppercaseChar()}")
}
