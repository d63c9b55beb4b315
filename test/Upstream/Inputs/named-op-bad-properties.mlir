func.func @f() {
  %y = linalg.matmul<1>
}
