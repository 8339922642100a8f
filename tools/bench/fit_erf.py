"""Fits the coefficients of `kernels::simd::erf` and checks their f32 error.

    /work/venv/bin/python tools/bench/fit_erf.py

erf(x)/x as a degree-6 polynomial in x^2 on [0, 1] (relative-error weighted least squares on
Chebyshev nodes), and ln erfc(x) as a degree-10 polynomial in x - 2.5 on [1, 4]; beyond 4,
erf rounds to 1 in f32. Prints the coefficients (as f32) and the worst error in f32 ulp of
each branch, evaluated with f32 Horner steps as the Rust code does.
"""
import numpy as np, math
erf=np.vectorize(math.erf); erfc=np.vectorize(math.erfc)
x=np.cos(np.linspace(0,math.pi,4000))*0.5+0.5; x=x[x>1e-6]
t=x*x; y=erf(x)/x
c1=np.polynomial.polynomial.polyfit(t,y,6,w=1/y)
x=np.cos(np.linspace(0,math.pi,6000))*1.5+2.5
y=np.log(erfc(x))
c2=np.polynomial.polynomial.polyfit(x-2.5,y,10)
c1=[np.float32(v) for v in c1]; c2=[np.float32(v) for v in c2]
print("SMALL", [repr(float(v)) for v in c1])
print("BIG", [repr(float(v)) for v in c2])
def horner(c,v):
    acc=np.float32(c[-1])
    for k in c[-2::-1]: acc=(acc*v+np.float32(k)).astype(np.float32)
    return acc
xs=np.linspace(0,4,400001).astype(np.float32)
small=xs*horner(c1,xs*xs)
big=(np.float32(1)-np.exp(horner(c2,(xs-np.float32(2.5)).astype(np.float32)).astype(np.float64)).astype(np.float32)).astype(np.float32)
ref=erf(xs.astype(np.float64)); ulp=np.spacing(ref.astype(np.float32))
for name,res,m in [("small",small,xs<=1),("big",big,xs>1)]:
    e=np.abs(res-ref)/ulp; print(name, e[m].max(), xs[m][np.argmax(e[m])])
